package mcptest

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
)

// Main runs the reference server as a program with command-line args (the
// flags of Options.BindFlags, plus -exit-on-stdin-eof) until ctx is done,
// and returns the exit code. For tcp, http and rawecho it prints one line
// to stdout once it serves:
//
//	MCPTEST READY mcp=<target> control=<control URL or -> pid=<pid>
//
// For stdio, stdin/stdout carry MCP and the READY line goes to stderr.
//
// Faults may also come from $MCPTEST_FAULTS (a JSON Faults, durations in
// nanoseconds), and the HTTP token from $MCPTEST_TOKEN; flags win.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mcpstress-server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts Options
	if env := os.Getenv("MCPTEST_FAULTS"); env != "" {
		if err := json.Unmarshal([]byte(env), &opts.Faults); err != nil {
			fmt.Fprintln(stderr, "mcptest: $MCPTEST_FAULTS:", err)
			return 2
		}
	}
	opts.BindFlags(fs) // flags override $MCPTEST_FAULTS
	exitOnEOF := fs.Bool("exit-on-stdin-eof", false, "stop when stdin reaches EOF (the parent went away)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	opts.tokenFromEnv()
	if err := opts.Validate(); err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	opts = opts.withDefaults()
	pid := os.Getpid()
	if opts.Transport == TransportStdio {
		return serveStdio(ctx, opts, pid, stdin, stdout, stderr)
	}
	rt, err := startRuntime(ctx, opts, pid, nil)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer rt.close()
	ctl := rt.controlURL()
	if ctl == "" {
		ctl = "-"
	}
	fmt.Fprintf(stdout, "MCPTEST READY mcp=%s control=%s pid=%d\n", rt.target(), ctl, pid)
	if *exitOnEOF {
		eof := make(chan struct{})
		go func() { // ends when stdin closes, which ends the process
			_, _ = io.Copy(io.Discard, stdin)
			close(eof)
		}()
		select {
		case <-ctx.Done():
		case <-eof:
		}
		return 0
	}
	<-ctx.Done()
	return 0
}

// serveStdio serves one MCP session on stdin/stdout. A control endpoint
// is started only when -control is given.
func serveStdio(ctx context.Context, opts Options, pid int, stdin io.Reader, stdout, stderr io.Writer) int {
	h := newHandler(opts.Faults)
	if opts.ControlAddr != "" {
		rt, err := startRuntime(ctx, opts, pid, h)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		defer rt.close()
		fmt.Fprintf(stderr, "MCPTEST READY mcp=stdio control=%s pid=%d\n", rt.controlURL(), pid)
	}
	if c, ok := stdin.(io.Closer); ok {
		stop := context.AfterFunc(ctx, func() { c.Close() })
		defer stop()
	}
	h.serveStream(ctx, stdin, stdout, opts.MaxFrame, h.newConn())
	if f, ok := stdout.(interface{ Sync() error }); ok {
		_ = f.Sync()
	}
	return 0
}
