package mcptest

import (
	"flag"
	"os"
	"strconv"
)

// BindFlags registers flags that mirror Options (and its Faults) on fs.
// cmd/mcpstress-server and the re-executed child use the same set.
func (o *Options) BindFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.Transport, "transport", o.Transport, "tcp (default), http, stdio or rawecho")
	fs.StringVar(&o.Addr, "addr", o.Addr, "listen address (default 127.0.0.1:0)")
	fs.BoolVar(&o.ReusePort, "reuseport", o.ReusePort, "set SO_REUSEPORT so several processes share the port")
	fs.IntVar(&o.Backlog, "backlog", o.Backlog, "listen(2) backlog of the MCP listener (0 = the kernel's somaxconn; Linux only)")
	fs.IntVar(&o.MaxFrame, "max-frame", o.MaxFrame, "largest accepted frame in bytes (default 4 MiB)")
	fs.StringVar(&o.HTTPResponse, "http-response", o.HTTPResponse, "json (default) or sse")
	fs.DurationVar(&o.SessionIdleTimeout, "session-idle-timeout", o.SessionIdleTimeout, "expire idle legacy HTTP sessions after this long (0 = 10m, negative = never)")
	fs.IntVar(&o.MaxSessions, "max-sessions", o.MaxSessions, "cap on live legacy HTTP sessions; initialize beyond it gets 503 (0 = 100000, negative = no cap)")
	fs.StringVar(&o.Token, "token", o.Token, "bearer token required on HTTP (default $MCPTEST_TOKEN)")
	fs.StringVar(&o.ControlAddr, "control", o.ControlAddr, "loopback address of the control endpoint (\"\" = none)")
	fs.DurationVar(&o.Faults.Delay, "delay", o.Faults.Delay, "fault: delay added to every request")
	fs.DurationVar(&o.Faults.DelayMax, "delay-max", o.Faults.DelayMax, "fault: with -delay, each request's delay drawn uniformly from [delay, delay-max]")
	fs.Float64Var(&o.Faults.FailFraction, "fail-fraction", o.Faults.FailFraction, "fault: fraction of tools/call answered with -32603")
	fs.BoolVar(&o.Faults.FailToolError, "fail-tool-error", o.Faults.FailToolError, "fault: failing calls get isError results, not -32603")
	fs.BoolVar(&o.Faults.Stall, "stall", o.Faults.Stall, "fault: hold every request unanswered")
	fs.DurationVar(&o.Faults.StallFor, "stall-for", o.Faults.StallFor, "fault: release stalled requests after this long")
	fs.BoolVar(&o.Faults.BlockRegistry, "block-registry", o.Faults.BlockRegistry, "fault: block initialize and session lookups")
	fs.IntVar(&o.Faults.LeakBytesPerCall, "leak-bytes-per-call", o.Faults.LeakBytesPerCall, "fault: bytes every tools/call retains for good (capped at 1 GiB in all)")
	fs.IntVar(&o.Faults.SlowEvery, "slow-every", o.Faults.SlowEvery, "fault: slow connections (HTTP: sessions) whose accept index i has i % k == 0 (0 = off; needs -slow-every-delay)")
	fs.DurationVar(&o.Faults.SlowEveryDelay, "slow-every-delay", o.Faults.SlowEveryDelay, "fault: delay added to every answer on a connection -slow-every slows")
	fs.DurationVar(&o.Faults.Serial, "serial", o.Faults.Serial, "fault: one server-wide worker that holds every tools/call this long (capacity 1/serial calls/s; the rest queue in the sockets)")
}

// args renders o as the flags BindFlags parses (defaults omitted).
func (o Options) args() []string {
	var a []string
	add := func(name, v string) { a = append(a, "-"+name+"="+v) }
	if o.Transport != "" {
		add("transport", o.Transport)
	}
	if o.Addr != "" {
		add("addr", o.Addr)
	}
	if o.ReusePort {
		add("reuseport", "true")
	}
	if o.Backlog != 0 {
		add("backlog", strconv.Itoa(o.Backlog))
	}
	if o.MaxFrame != 0 {
		add("max-frame", strconv.Itoa(o.MaxFrame))
	}
	if o.HTTPResponse != "" {
		add("http-response", o.HTTPResponse)
	}
	if o.SessionIdleTimeout != 0 {
		add("session-idle-timeout", o.SessionIdleTimeout.String())
	}
	if o.MaxSessions != 0 {
		add("max-sessions", strconv.Itoa(o.MaxSessions))
	}
	if o.ControlAddr != "" {
		add("control", o.ControlAddr)
	}
	f := o.Faults
	if f.Delay != 0 {
		add("delay", f.Delay.String())
	}
	if f.DelayMax != 0 {
		add("delay-max", f.DelayMax.String())
	}
	if f.FailFraction != 0 {
		add("fail-fraction", strconv.FormatFloat(f.FailFraction, 'g', -1, 64))
	}
	if f.FailToolError {
		add("fail-tool-error", "true")
	}
	if f.Stall {
		add("stall", "true")
	}
	if f.StallFor != 0 {
		add("stall-for", f.StallFor.String())
	}
	if f.BlockRegistry {
		add("block-registry", "true")
	}
	if f.LeakBytesPerCall != 0 {
		add("leak-bytes-per-call", strconv.Itoa(f.LeakBytesPerCall))
	}
	if f.SlowEvery != 0 {
		add("slow-every", strconv.Itoa(f.SlowEvery))
	}
	if f.SlowEveryDelay != 0 {
		add("slow-every-delay", f.SlowEveryDelay.String())
	}
	if f.Serial != 0 {
		add("serial", f.Serial.String())
	}
	return a
}

// tokenFromEnv fills Token from $MCPTEST_TOKEN when no flag set it, so a
// token need not appear on a command line.
func (o *Options) tokenFromEnv() {
	if o.Token == "" {
		o.Token = os.Getenv("MCPTEST_TOKEN")
	}
}
