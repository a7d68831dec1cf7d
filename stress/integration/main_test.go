//go:build stress

package integration

import (
	"testing"

	"github.com/mcpstress/mcpstress/stress"
)

var suite = stress.NewSuite("integration")

func TestMain(m *testing.M) { suite.Main(m) }
