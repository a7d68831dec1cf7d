//go:build stress

package scale

import (
	"testing"

	"github.com/mcpstress/mcpstress/stress"
)

var suite = stress.NewSuite("scale")

func TestMain(m *testing.M) { suite.Main(m) }
