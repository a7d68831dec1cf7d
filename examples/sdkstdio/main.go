// Command sdkstdio is a small MCP server written with the official MCP Go
// SDK (github.com/modelcontextprotocol/go-sdk), the kind of server a user
// points the suites at. It offers one tool, echo {message}, the baseline
// suite's message.
//
// Over stdio (the default) one process is one session, which is how the
// stdio: target runs it:
//
//	go build -o /tmp/sdkstdio ./examples/sdkstdio
//	MCP_TARGET='stdio:/tmp/sdkstdio' go test -tags stress ./stress/baseline
//
// With -listen it serves newline-delimited JSON-RPC over TCP instead, each
// accepted connection its own SDK session (a tcp:// target):
//
//	/tmp/sdkstdio -listen 127.0.0.1:9001 &
//	MCP_TARGET=tcp://127.0.0.1:9001 go test -tags stress ./stress/baseline
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

type echoArgs struct {
	Message string `json:"message"`
}

type echoResult struct {
	Echo string `json:"echo"`
}

func newServer() *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: "sdkstdio", Version: "0.1.0"}, nil)
	mcp.AddTool(s, &mcp.Tool{Name: "echo", Description: "Returns the message it is given."},
		func(_ context.Context, _ *mcp.CallToolRequest, in echoArgs) (*mcp.CallToolResult, echoResult, error) {
			return nil, echoResult{Echo: in.Message}, nil
		})
	return s
}

func main() {
	listen := flag.String("listen", "", "serve newline-delimited JSON-RPC on this loopback TCP address instead of stdio")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if *listen == "" {
		err = newServer().Run(ctx, &mcp.StdioTransport{})
	} else {
		err = serveTCP(ctx, *listen)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		log.Fatal(err)
	}
}

// serveTCP runs one SDK session per accepted connection until ctx ends.
func serveTCP(ctx context.Context, addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("-listen %s: only loopback addresses are served", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "sdkstdio: serving MCP on tcp://%s\n", ln.Addr())
	srv := newServer()
	var wg sync.WaitGroup
	defer wg.Wait()
	go func() {
		<-ctx.Done()
		_ = ln.Close()
	}()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer conn.Close()
			ss, err := srv.Connect(ctx, &mcp.IOTransport{Reader: conn, Writer: conn}, nil)
			if err != nil {
				return
			}
			done := make(chan struct{})
			defer close(done)
			go func() {
				select {
				case <-ctx.Done():
					_ = ss.Close()
				case <-done:
				}
			}()
			_ = ss.Wait()
		}()
	}
}
