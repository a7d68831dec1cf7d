//go:build stress

package cascading

import (
	"testing"

	"github.com/mcpstress/mcpstress/stress"
)

var suite = stress.NewSuite("cascading")

func TestMain(m *testing.M) { suite.Main(m) }
