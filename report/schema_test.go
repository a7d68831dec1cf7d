package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// validate checks doc against the subset of JSON Schema that schema/v1.json
// uses: type (one or several), const, enum, properties, required,
// additionalProperties (false or a schema), items, minimum, maximum, format
// date-time, and local $ref into $defs. It returns every violation, with
// its JSON path. The subset is small on purpose: a test fails if the schema
// starts using a keyword this validator does not know.
func validate(root, schema map[string]any, doc any, path string) []string {
	var errs []string
	if ref, ok := schema["$ref"].(string); ok {
		name, found := strings.CutPrefix(ref, "#/$defs/")
		def, ok := root["$defs"].(map[string]any)[name].(map[string]any)
		if !found || !ok {
			return []string{path + ": unresolvable $ref " + ref}
		}
		return validate(root, def, doc, path)
	}
	for k := range schema {
		switch k {
		case "$schema", "$id", "title", "description", "type", "const", "enum", "properties", "required",
			"additionalProperties", "items", "minimum", "maximum", "format", "$defs":
		default:
			errs = append(errs, fmt.Sprintf("%s: schema keyword %q not supported by the test validator", path, k))
		}
	}
	if t, ok := schema["type"]; ok {
		var types []string
		switch t := t.(type) {
		case string:
			types = []string{t}
		case []any:
			for _, x := range t {
				types = append(types, x.(string))
			}
		}
		if !slices.ContainsFunc(types, func(ty string) bool { return hasType(doc, ty) }) {
			return append(errs, fmt.Sprintf("%s: %s is not of type %v", path, clip(fmt.Sprint(doc)), types))
		}
	}
	if c, ok := schema["const"]; ok && fmt.Sprint(c) != fmt.Sprint(doc) {
		errs = append(errs, fmt.Sprintf("%s: %v != const %v", path, doc, c))
	}
	if e, ok := schema["enum"].([]any); ok && !slices.ContainsFunc(e, func(x any) bool { return x == doc }) {
		errs = append(errs, fmt.Sprintf("%s: %v not in %v", path, doc, e))
	}
	if n, ok := doc.(float64); ok {
		if m, ok := schema["minimum"].(float64); ok && n < m {
			errs = append(errs, fmt.Sprintf("%s: %v < minimum %v", path, n, m))
		}
		if m, ok := schema["maximum"].(float64); ok && n > m {
			errs = append(errs, fmt.Sprintf("%s: %v > maximum %v", path, n, m))
		}
	}
	if f, ok := schema["format"].(string); ok && f == "date-time" {
		if s, ok := doc.(string); ok {
			if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
				errs = append(errs, fmt.Sprintf("%s: %q is not a date-time", path, s))
			}
		}
	}
	if obj, ok := doc.(map[string]any); ok {
		props, _ := schema["properties"].(map[string]any)
		required, _ := schema["required"].([]any)
		for _, r := range required {
			if _, ok := obj[r.(string)]; !ok {
				errs = append(errs, fmt.Sprintf("%s: missing required %q", path, r))
			}
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if ps, ok := props[k].(map[string]any); ok {
				errs = append(errs, validate(root, ps, obj[k], path+"."+k)...)
				continue
			}
			switch ap := schema["additionalProperties"].(type) {
			case bool:
				if !ap {
					errs = append(errs, fmt.Sprintf("%s: unexpected property %q", path, k))
				}
			case map[string]any:
				errs = append(errs, validate(root, ap, obj[k], path+"."+k)...)
			}
		}
	}
	if arr, ok := doc.([]any); ok {
		if items, ok := schema["items"].(map[string]any); ok {
			for i, x := range arr {
				errs = append(errs, validate(root, items, x, fmt.Sprintf("%s[%d]", path, i))...)
			}
		}
	}
	return errs
}

func hasType(doc any, ty string) bool {
	switch ty {
	case "object":
		_, ok := doc.(map[string]any)
		return ok
	case "array":
		_, ok := doc.([]any)
		return ok
	case "string":
		_, ok := doc.(string)
		return ok
	case "number":
		_, ok := doc.(float64)
		return ok
	case "integer":
		n, ok := doc.(float64)
		return ok && n == math.Trunc(n)
	case "boolean":
		_, ok := doc.(bool)
		return ok
	case "null":
		return doc == nil
	}
	return false
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

func loadSchema(t *testing.T) map[string]any {
	t.Helper()
	var schema map[string]any
	if err := json.Unmarshal(SchemaV1(), &schema); err != nil {
		t.Fatalf("schema/v1.json is not JSON: %v", err)
	}
	if schema["$id"] != SchemaID {
		t.Fatalf("schema $id %v, want %s", schema["$id"], SchemaID)
	}
	return schema
}

func TestJSONReportValidatesAgainstSchemaV1(t *testing.T) {
	schema := loadSchema(t)
	runs := map[string]*Run{
		"the full fixture": fixtureRun(t),
		"an empty run":     {ID: "empty", Started: fixtureStart},
		"a run built by the builder": func() *Run {
			b := NewBuilder("b", fixtureStart, DetectEnvironment("embedded", "quick"), nil)
			b.AddResult("baseline", NewTest("TestX", StatusPassed, time.Second))
			b.Warn("", "w")
			return b.Snapshot()
		}(),
	}
	for name, r := range runs {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteJSON(&buf, r); err != nil {
				t.Fatal(err)
			}
			var doc any
			dec := json.NewDecoder(&buf)
			if err := dec.Decode(&doc); err != nil {
				t.Fatal(err)
			}
			if errs := validate(schema, schema, doc, "$"); len(errs) > 0 {
				t.Errorf("report.json violates schema v1:\n%s", strings.Join(errs, "\n"))
			}
		})
	}
}

func TestSchemaValidatorRejectsBadDocuments(t *testing.T) {
	schema := loadSchema(t)
	var good bytes.Buffer
	if err := WriteJSON(&good, fixtureRun(t)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		mutate func(doc map[string]any)
		want   string
	}{
		{"a missing summary", func(d map[string]any) { delete(d, "summary") }, `missing required "summary"`},
		{"a wrong schema version", func(d map[string]any) { d["schema_version"] = 2.0 }, "const"},
		{"an unknown status", func(d map[string]any) {
			d["run"].(map[string]any)["suites"].([]any)[0].(map[string]any)["status"] = "flaky"
		}, "not in"},
		{"an extra field", func(d map[string]any) { d["run"].(map[string]any)["extra"] = 1.0 }, `unexpected property "extra"`},
		{"a negative duration", func(d map[string]any) { d["run"].(map[string]any)["duration_ns"] = -1.0 }, "minimum"},
		{"a string metric", func(d map[string]any) {
			n := d["run"].(map[string]any)["suites"].([]any)[0].(map[string]any)["children"].([]any)[0].(map[string]any)
			n["metrics"].([]any)[0].(map[string]any)["value"] = "fast"
		}, "not of type"},
		{"a string no_data", func(d map[string]any) {
			n := d["run"].(map[string]any)["suites"].([]any)[0].(map[string]any)["children"].([]any)[0].(map[string]any)
			n["thresholds"].([]any)[0].(map[string]any)["no_data"] = "yes"
		}, "not of type [boolean]"},
		{"a numeric skip reason", func(d map[string]any) {
			n := d["run"].(map[string]any)["suites"].([]any)[0].(map[string]any)["children"].([]any)[0].(map[string]any)
			n["thresholds"].([]any)[0].(map[string]any)["skip"] = 1.0
		}, "not of type [string]"},
		{"a string key flag", func(d map[string]any) {
			n := d["run"].(map[string]any)["suites"].([]any)[0].(map[string]any)["children"].([]any)[0].(map[string]any)
			n["metrics"].([]any)[0].(map[string]any)["key"] = "yes"
		}, "not of type [boolean]"},
		{"an unknown threshold field", func(d map[string]any) {
			n := d["run"].(map[string]any)["suites"].([]any)[0].(map[string]any)["children"].([]any)[0].(map[string]any)
			n["thresholds"].([]any)[0].(map[string]any)["verdict"] = "ok"
		}, `unexpected property "verdict"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc map[string]any
			if err := json.Unmarshal(good.Bytes(), &doc); err != nil {
				t.Fatal(err)
			}
			tt.mutate(doc)
			errs := validate(schema, schema, doc, "$")
			if !slices.ContainsFunc(errs, func(e string) bool { return strings.Contains(e, tt.want) }) {
				t.Errorf("validator errors %q, want one containing %q", errs, tt.want)
			}
		})
	}
}

func TestJSONRoundTripKeepsValuesAndNaN(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJSON(&buf, fixtureRun(t)); err != nil {
		t.Fatal(err)
	}
	rep, err := ReadJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if rep.SchemaVersion != SchemaVersion || rep.Summary.TotalTests != 8 || rep.Summary.FailedTests != 1 || rep.Summary.ErrorTests != 1 {
		t.Errorf("summary = %+v", rep.Summary)
	}
	mem := rep.Run.Suites[0].Children[1]
	if m, ok := mem.Metric("gc_pause"); !ok || !math.IsNaN(m.Value) {
		t.Errorf("NaN metric came back as %+v", m)
	}
	if m, _ := mem.Metric("memory_growth"); m.Value != 140 || m.Better != BetterLower {
		t.Errorf("memory_growth came back as %+v", m)
	}
	if got := rep.Run.Suites[0].Children[0].Thresholds[2].Window; got != time.Minute {
		t.Errorf("threshold window came back as %v", got)
	}
	if got := rep.Run.Suites[0].Faults[0].End; got != 30*time.Second {
		t.Errorf("fault end came back as %v", got)
	}
}
