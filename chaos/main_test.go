package chaos

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if addr, ok := os.LookupEnv(childEnv); ok {
		serveChild(addr) // the test binary re-executed as a server (process_test.go)
		return
	}
	goleak.VerifyTestMain(m)
}
