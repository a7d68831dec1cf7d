//go:build stress

package protocol

import (
	"os"
	"strings"
	"testing"

	"github.com/mcpstress/mcpstress/stress"
)

// legacyReportDirEnv is the suite's former report-directory variable, still
// honoured: it stands for $MCPSTRESS_REPORT_DIR when that is unset
// (-report-dir wins over both).
const legacyReportDirEnv = "MCP_REPORT_DIR"

// suite registers the harness's flags (-target, -report-dir, -prometheus,
// -prometheus-port); -token and -strict are the suite's own.
var suite = stress.NewSuite("protocol")

func TestMain(m *testing.M) {
	if v := strings.TrimSpace(os.Getenv(legacyReportDirEnv)); v != "" && strings.TrimSpace(os.Getenv(stress.ReportDirEnv)) == "" {
		os.Setenv(stress.ReportDirEnv, v)
	}
	suite.Main(m)
}
