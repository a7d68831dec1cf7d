package client_test

import (
	"fmt"
	"time"

	"github.com/mcpstress/mcpstress/framework/client"
)

func ExampleParseTarget() {
	tg, err := client.ParseTarget("tcp://127.0.0.1:9001", client.Options{Timeout: 2 * time.Second})
	fmt.Println(tg, err)

	// Every problem is reported at once, each naming its field.
	_, err = client.ParseTarget("tcp://127.0.0.1:0", client.Options{Pipeline: -1, Protocol: "1999"})
	fmt.Println(err)
	// Output:
	// tcp://127.0.0.1:9001 <nil>
	// target "tcp://127.0.0.1:0": Options.Protocol "1999" is not one of "2026-07-28", "2025-11-25", "2025-06-18" or empty (newest the server accepts)
	// Options.Pipeline -1 must be in [0, 65536]
	// port "0" is not a number in 1..65535
}
