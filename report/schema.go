package report

import _ "embed"

//go:embed schema/v1.json
var schemaV1 string

// SchemaV1 returns the JSON Schema (draft 2020-12) of report.json, version
// 1. Each call returns a fresh copy.
func SchemaV1() []byte { return []byte(schemaV1) }
