package framework_test

import (
	"fmt"
	"time"

	"github.com/mcpstress/mcpstress/framework"
)

func ExampleParseTarget() {
	tg, err := framework.ParseTarget("tcp://127.0.0.1:9001", framework.ClientOptions{Timeout: 2 * time.Second})
	fmt.Println(tg, err)

	// Every problem is reported at once, each naming its field.
	_, err = framework.ParseTarget("tcp://127.0.0.1:0", framework.ClientOptions{Pipeline: -1, Protocol: "1999"})
	fmt.Println(err)
	// Output:
	// tcp://127.0.0.1:9001 <nil>
	// target "tcp://127.0.0.1:0": ClientOptions.Protocol "1999" is not one of "2026-07-28", "2025-11-25", "2025-06-18" or empty (newest the server accepts)
	// ClientOptions.Pipeline -1 must be in [0, 65536]
	// port "0" is not a number in 1..65535
}
