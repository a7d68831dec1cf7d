//go:build stress

package baseline

import (
	"testing"

	"github.com/mcpstress/mcpstress/stress"
)

var suite = stress.NewSuite("baseline")

func TestMain(m *testing.M) { suite.Main(m) }
