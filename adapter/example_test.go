package adapter_test

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpstress/mcpstress/adapter"
)

// A server built with the MCP Go SDK, served on loopback so that a suite
// (or any MCP client) can reach it by its target string. In a test, use
// adapter.ServeSDK(t, srv, opts) instead: it stops the server in t.Cleanup.
func ExampleStartSDK() {
	srv := mcp.NewServer(&mcp.Implementation{Name: "mine", Version: "1.0.0"}, nil)
	target, stop, err := adapter.StartSDK(srv, adapter.Options{Transport: adapter.TransportTCP})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer stop()
	fmt.Println(strings.HasPrefix(target, "tcp://127.0.0.1:"))

	// Any MCP client can now connect, e.g. the SDK's own over the socket.
	conn, err := net.Dial("tcp", strings.TrimPrefix(target, "tcp://"))
	if err != nil {
		fmt.Println(err)
		return
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "client", Version: "0"}, nil)
	cs, err := client.Connect(context.Background(), &mcp.IOTransport{Reader: conn, Writer: conn}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cs.Close()
	fmt.Println(cs.InitializeResult().ServerInfo.Name)
	// Output:
	// true
	// mine
}
