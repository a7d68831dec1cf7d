// Package mcpstress carries the data every suite needs wherever its
// compiled test binary runs: the profiles under testdata/profiles, with the
// seeds' figures, embedded at build time. A suite binary copied to another
// machine or a Kubernetes pod therefore needs no checkout beside it;
// package framework/profile reads this copy unless a directory override is
// given. The package holds data only and imports nothing of the module.
package mcpstress

import "embed"

// Profiles is testdata/profiles/*.json as it was when the binary was built.
//
//go:embed testdata/profiles/*.json
var Profiles embed.FS
