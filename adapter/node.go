package adapter

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/internal/tailbuf"
)

// The Node reference server @modelcontextprotocol/server-everything, as
// installed by .ci/install-node-deps.sh: not an in-process server, but the
// other implementation the suites check themselves against.

// EverythingEntry finds server-everything's entry script as installed by
// .ci/install-node-deps.sh under root (the repository root; the directory
// is $MCP_NODE_DIR if set, else root/.cache/node) and checks that node is on
// PATH. The error says why the Node server cannot run.
func EverythingEntry(root string) (string, error) {
	if _, err := exec.LookPath("node"); err != nil {
		return "", errors.New("node is not on PATH")
	}
	dir := os.Getenv("MCP_NODE_DIR")
	if dir == "" {
		dir = filepath.Join(root, ".cache", "node")
	} else if !filepath.IsAbs(dir) {
		dir = filepath.Join(root, dir)
	}
	entry := filepath.Join(dir, "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js")
	if _, err := os.Stat(entry); err != nil {
		return "", fmt.Errorf("server-everything not installed (%v); run .ci/install-node-deps.sh", err)
	}
	return entry, nil
}

// ServeEverythingHTTP runs server-everything's Streamable HTTP mode on a
// free loopback port and returns its target; the process is killed in
// tb.Cleanup. (The Node app listens on every interface of the port it is
// given; the suite only ever connects to 127.0.0.1.)
func ServeEverythingHTTP(tb testing.TB, entry string) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("pick a port: %v", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command("node", entry, "streamableHttp")
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port))
	stderr := tailbuf.New(16 << 10)
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start server-everything: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	tb.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(3 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			tb.Fatalf("server-everything exited at start: %s", stderr.String())
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return "http://" + addr + "/mcp"
		}
		// Poll the port at a fixed, bounded interval while node starts.
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatalf("server-everything did not listen on %s within 20s: %s", addr, stderr.String())
	return ""
}

// EverythingStdioTarget is the stdio target string of server-everything
// (every session the client opens is a new node process).
func EverythingStdioTarget(entry string) string { return "stdio:node " + entry + " stdio" }
