//go:build stress

package sustained

import (
	"testing"

	"github.com/mcpstress/mcpstress/stress"
)

var suite = stress.NewSuite("sustained")

func TestMain(m *testing.M) { suite.Main(m) }
