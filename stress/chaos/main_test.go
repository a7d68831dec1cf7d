//go:build stress

package chaossuite

import (
	"testing"

	"github.com/mcpstress/mcpstress/stress"
)

var suite = stress.NewSuite("chaos")

func TestMain(m *testing.M) { suite.Main(m) }
