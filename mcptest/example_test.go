package mcptest_test

import (
	"bufio"
	"context"
	"fmt"
	"net"

	"github.com/mcpstress/mcpstress/mcptest"
)

// A stateless 2026-07-28 tools/call over newline-delimited TCP. In a test,
// mcptest.StartServer(t, opts) does the same and stops the server in
// t.Cleanup; without InProcess the server runs in a child process.
func ExampleStart() {
	s, err := mcptest.Start(context.Background(), mcptest.Options{InProcess: true})
	if err != nil {
		panic(err)
	}
	defer s.Close()
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	fmt.Fprintln(conn, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hi"},`+
		`"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}`)
	reply, _ := bufio.NewReader(conn).ReadString('\n')
	fmt.Print(reply)
	// Output:
	// {"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"hi"}],"resultType":"complete","_meta":{"io.modelcontextprotocol/serverInfo":{"name":"mcptest","title":"mcpstress reference server","version":"0.1.0"}}}}
}
