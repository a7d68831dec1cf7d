package protocol

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mcpstress/mcpstress/framework/client"
	"github.com/mcpstress/mcpstress/wire"
)

func errAnswer(status, code int) Answer {
	return Answer{Status: status, Msg: &wire.Message{JSONRPC: "2.0", ID: json.RawMessage("1"), Error: &wire.Error{Code: code, Message: "x"}}}
}

func resultAnswer(status int, result string) Answer {
	return Answer{Status: status, Msg: &wire.Message{JSONRPC: "2.0", ID: json.RawMessage("1"), Result: json.RawMessage(result)}}
}

func caseNamed(t *testing.T, name string) Case {
	t.Helper()
	for _, c := range Cases() {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no case %q", name)
	return Case{}
}

func TestCaseChecksAcceptWhatTheSpecAllows(t *testing.T) {
	stream := Setting{Kind: TCP, Gen: Legacy, OversizeBytes: 1 << 20}
	legacyHTTP := Setting{Kind: HTTP, Gen: Legacy, Sessions: true}
	statelessHTTP := Setting{Kind: HTTP, Gen: Legacy}
	modernHTTP := Setting{Kind: HTTP, Gen: Modern, Token: true}
	cases := []struct {
		kase string
		st   Setting
		a    Answer
		want bool
	}{
		{"malformed JSON", stream, errAnswer(0, wire.CodeParseError), true},
		{"malformed JSON", stream, errAnswer(0, wire.CodeInvalidRequest), false},
		{"malformed JSON", stream, Answer{NoReply: true}, false},
		{"malformed JSON", stream, Answer{Closed: true}, false},
		{"malformed JSON", legacyHTTP, Answer{Status: 400, Raw: "bad json"}, true},
		{"malformed JSON", legacyHTTP, errAnswer(400, wire.CodeParseError), true},
		{"malformed JSON", legacyHTTP, errAnswer(400, wire.CodeInternalError), false},
		{"malformed JSON", legacyHTTP, errAnswer(200, wire.CodeParseError), true},
		{"malformed JSON", legacyHTTP, Answer{Status: 202}, false},
		{"envelope without method", stream, errAnswer(0, wire.CodeInvalidRequest), true},
		{"envelope without method", legacyHTTP, Answer{Status: 202}, false},
		{"oversized frame", stream, Answer{Closed: true}, true},
		{"oversized frame", stream, errAnswer(0, wire.CodeInvalidRequest), true},
		{"oversized frame", legacyHTTP, Answer{Status: 413}, true},
		{"oversized frame", stream, Answer{NoReply: true}, false},
		{"unknown method", stream, errAnswer(0, wire.CodeMethodNotFound), true},
		{"unknown method", legacyHTTP, Answer{Status: 400, Raw: "not handled"}, false},
		{"unknown method", modernHTTP, errAnswer(404, wire.CodeMethodNotFound), true},
		{"unknown method", modernHTTP, errAnswer(200, wire.CodeMethodNotFound), false},
		{"unknown tool", stream, errAnswer(0, wire.CodeInvalidParams), true},
		{"unknown tool", stream, resultAnswer(0, `{"content":[],"isError":true}`), true},
		{"unknown tool", stream, resultAnswer(0, `{"content":[]}`), false},
		{"unknown tool", modernHTTP, errAnswer(200, wire.CodeInvalidParams), false},
		{"request before initialize", stream, errAnswer(0, 0), true},
		{"request before initialize", stream, resultAnswer(0, `{"tools":[]}`), false},
		{"request before initialize", statelessHTTP, resultAnswer(200, `{"tools":[]}`), true},
		{"request before initialize", legacyHTTP, resultAnswer(200, `{"tools":[]}`), false},
		{"request before initialize", legacyHTTP, Answer{Status: 400}, true},
		{"unsupported protocol version", stream, resultAnswer(0, `{"protocolVersion":"2025-11-25"}`), true},
		{"unsupported protocol version", stream, resultAnswer(0, `{"protocolVersion":"1900-01-01"}`), false},
		{"unsupported protocol version", stream, errAnswer(0, wire.CodeInvalidParams), true},
		{"unsupported protocol version", modernHTTP, Answer{Status: 400, Msg: &wire.Message{Error: &wire.Error{
			Code: wire.CodeUnsupportedProtocolVersion, Data: json.RawMessage(`{"supported":["2026-07-28"],"requested":"2099-01-01"}`)}}}, true},
		{"unsupported protocol version", modernHTTP, errAnswer(400, wire.CodeUnsupportedProtocolVersion), false}, // no data.supported
		{"Mcp-Name header mismatch", modernHTTP, errAnswer(400, wire.CodeHeaderMismatch), true},
		{"Mcp-Name header mismatch", modernHTTP, errAnswer(400, wire.CodeInvalidParams), false},
		{"missing bearer token", modernHTTP, Answer{Status: 401, WWWAuthenticate: `Bearer resource_metadata="x"`}, true},
		{"missing bearer token", modernHTTP, Answer{Status: 401}, false},
		{"wrong bearer token", modernHTTP, Answer{Status: 403, WWWAuthenticate: "Bearer"}, false},
		{"duplicate in-flight id", stream, Answer{dupOK: true}, true},
		{"duplicate in-flight id", stream, Answer{}, false},
	}
	for _, tc := range cases {
		name := tc.kase + " " + tc.st.Kind + " " + tc.st.Gen + " gets " + tc.a.Summary()
		t.Run(name, func(t *testing.T) {
			c := caseNamed(t, tc.kase)
			if got := c.Check(tc.st, tc.a); got != tc.want {
				t.Errorf("Check = %v, want %v (expected: %s)", got, tc.want, c.Expect(tc.st))
			}
		})
	}
}

func TestCaseApplicability(t *testing.T) {
	cases := []struct {
		kase string
		st   Setting
		runs bool
	}{
		{"request before initialize", Setting{Kind: TCP, Gen: Legacy}, true},
		{"request before initialize", Setting{Kind: TCP, Gen: Modern}, false},
		{"Mcp-Name header mismatch", Setting{Kind: HTTP, Gen: Modern}, true},
		{"Mcp-Name header mismatch", Setting{Kind: Stdio, Gen: Modern}, false},
		{"Mcp-Name header mismatch", Setting{Kind: HTTP, Gen: Legacy}, false},
		{"missing bearer token", Setting{Kind: HTTP, Gen: Legacy, Token: true}, true},
		{"missing bearer token", Setting{Kind: HTTP, Gen: Legacy}, false},
		{"missing bearer token", Setting{Kind: TCP, Gen: Legacy, Token: true}, false},
		{"2026 request without clientCapabilities", Setting{Kind: Stdio, Gen: Modern}, true},
	}
	for _, tc := range cases {
		t.Run(tc.kase+" in "+tc.st.Kind+" "+tc.st.Gen, func(t *testing.T) {
			why := caseNamed(t, tc.kase).Applies(tc.st)
			if (why == "") != tc.runs {
				t.Errorf("Applies = %q, want runs=%v", why, tc.runs)
			}
		})
	}
}

func TestEveryCaseIsComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range Cases() {
		if c.Name == "" || c.Applies == nil || c.Expect == nil || c.Do == nil || c.Check == nil {
			t.Errorf("case %q is missing a field", c.Name)
		}
		if seen[c.Name] {
			t.Errorf("case %q twice", c.Name)
		}
		seen[c.Name] = true
		switch c.Category {
		case Malformed, InvalidCommand, Auth:
		default:
			t.Errorf("case %q: category %q", c.Name, c.Category)
		}
	}
}

// TestParseTarget: target strings are parsed by client.ParseTarget alone;
// the suite takes what it parsed (a loopback network address, or a stdio
// command) and refuses the rest with the reason.
func TestParseTarget(t *testing.T) {
	cases := []struct {
		in      string
		kind    string
		wantErr string
	}{
		{"tcp://127.0.0.1:9000", TCP, ""},
		{"http://127.0.0.1:9000/mcp", HTTP, ""},
		{"http://localhost:9000/mcp", HTTP, ""},
		{"stdio:node index.js stdio", Stdio, ""},
		{"", "", "empty target"},
		{"stdio:", "", "stdio command is empty"},
		{"tcp://10.0.0.1:9000", "", "not a loopback"},
		{"http://example.com/mcp", "", "not a loopback"},
		{"tcp://127.0.0.1", "", "want host:port"},
		{"ftp://127.0.0.1:21", "", "scheme \"ftp\""},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			tgt, err := client.ParseTarget(tc.in, client.Options{})
			var got wireTarget
			if err == nil {
				got, err = newWireTarget(tgt)
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("target %q: error = %v, want %q", tc.in, err, tc.wantErr)
				}
				if (Config{Target: tgt}).Validate() == nil {
					t.Fatalf("Config.Validate accepts target %q", tc.in)
				}
				return
			}
			if err != nil || got.kind != tc.kind || tgt.String() != tc.in {
				t.Fatalf("target %q = %+v (%v), %v", tc.in, got, tgt, err)
			}
		})
	}
	tgt, err := client.ParseTarget(`stdio:sh -c "exec cat"`, client.Options{Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := newWireTarget(tgt); err != nil || got.stdio == nil || got.stdio.Args[1] != "exec cat" {
		t.Errorf("quoted stdio command: %+v, %v", got, err)
	}
	tgt, _ = client.ParseTarget("http://127.0.0.1:9000/mcp", client.Options{Token: "s3cret"})
	if got, _ := newWireTarget(tgt); got.token != "s3cret" {
		t.Errorf("token %q, want the target's Options.Token", got.token)
	}
}

func TestConfigValidateReportsEveryProblem(t *testing.T) {
	err := Config{Target: nil, Generations: []string{"1999"}, ReplyWait: -1,
		OversizeBytes: -1, Load: LoadConfig{Sessions: 100, Rate: -1}}.Validate()
	if err == nil {
		t.Fatal("Validate() = nil")
	}
	for _, w := range []string{"target kind", "generation", "negative ReplyWait", "OversizeBytes", "Sessions", "Rate"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("Validate() = %v, missing %q", err, w)
		}
	}
}

func TestReportCountsAndFailures(t *testing.T) {
	r := Report{Rows: []Row{
		{Case: "a", Category: Malformed, Verdict: VerdictExpected},
		{Case: "b", Category: Malformed, Verdict: VerdictMismatch},
		{Case: "c", Category: InvalidCommand, Verdict: VerdictHang},
		{Case: "d", Category: Auth, Verdict: VerdictExpected},
		{Case: "e", Category: Auth, Verdict: VerdictSkipped},
		{Case: "f", Category: InvalidCommand, Verdict: VerdictCrash},
	}}
	r.count()
	want := Counts{MalformedTested: 2, InvalidCommandsTested: 2, AuthFailuresTested: 1, CorrectResponses: 2, Mismatches: 1, Hangs: 1, Crashes: 1, Skipped: 1}
	if r.Counts != want {
		t.Errorf("counts = %+v, want %+v", r.Counts, want)
	}
	if n := len(r.Failures(false)); n != 2 {
		t.Errorf("lenient failures = %d, want 2 (hang, crash)", n)
	}
	if n := len(r.Failures(true)); n != 3 {
		t.Errorf("strict failures = %d, want 3", n)
	}
	if tb := r.Table("cases"); len(tb.Rows) != 6 || len(tb.Columns) != len(tb.Rows[0]) {
		t.Errorf("table shape %d columns, rows %v", len(tb.Columns), tb.Rows)
	}
}

func TestCountsAndLoadMetrics(t *testing.T) {
	c := Counts{MalformedTested: 3, InvalidCommandsTested: 4, AuthFailuresTested: 2, CorrectResponses: 7, Mismatches: 1, Hangs: 1, Skipped: 5}
	want := map[string]float64{MetricMalformedTested: 3, MetricInvalidCommandsTested: 4, MetricAuthFailuresTested: 2,
		MetricCorrectResponses: 7, MetricMismatches: 1, MetricHangs: 1, MetricCrashes: 0, MetricErrors: 0, MetricSkipped: 5}
	got := map[string]float64{}
	for _, m := range c.Metrics() {
		got[m.Name] = m.Value
	}
	if len(got) != len(want) {
		t.Errorf("metrics %v, want %v", got, want)
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("metric %s = %v (present %v), want %v", k, g, ok, v)
		}
	}
	if c.Tested() != 9 {
		t.Errorf("Tested() = %d, want 9", c.Tested())
	}
	tests := []struct {
		name        string
		l           LoadStats
		metrics     int
		unaccounted int
	}{
		{"no load", LoadStats{}, 0, 0},
		{"accounted", LoadStats{Workers: 2, Calls: 10, Answered: 7, Failed: 2, Cancelled: 1}, 6, 0},
		{"lost calls", LoadStats{Workers: 2, Calls: 10, Answered: 7}, 6, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if n := len(tc.l.Metrics()); n != tc.metrics {
				t.Errorf("%d metrics, want %d", n, tc.metrics)
			}
			if u := tc.l.Unaccounted(); u != tc.unaccounted {
				t.Errorf("Unaccounted() = %d, want %d", u, tc.unaccounted)
			}
		})
	}
}
