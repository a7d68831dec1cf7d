package protocol

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/framework/client"
)

// LoadConfig is the background load of valid calls that runs on other
// sessions while the cases run ("under load"). The zero value means none.
type LoadConfig struct {
	// Sessions is the number of load sessions (for stdio: processes).
	Sessions int
	// Rate is the calls per second of each session, at most: after each
	// answer a session pauses 1/Rate before its next call. 50 when zero.
	Rate float64
	// MaxCalls bounds the calls of each session; 100000 when zero.
	MaxCalls int
}

// Validate reports every problem with c at once.
func (c LoadConfig) Validate() error {
	var errs []error
	if c.Sessions < 0 || c.Sessions > 64 {
		errs = append(errs, fmt.Errorf("protocol: load Sessions %d outside [0, 64]", c.Sessions))
	}
	if c.Rate < 0 || c.Rate > 10000 {
		errs = append(errs, fmt.Errorf("protocol: load Rate %g outside [0, 10000]", c.Rate))
	}
	if c.MaxCalls < 0 {
		errs = append(errs, fmt.Errorf("protocol: negative load MaxCalls %d", c.MaxCalls))
	}
	return errors.Join(errs...)
}

// LoadStats accounts for every background call:
// Calls = Answered + Failed + Cancelled.
type LoadStats struct {
	Workers    int    `json:"sessions"`
	Calls      int    `json:"calls"`
	Answered   int    `json:"answered"`
	Failed     int    `json:"failed"`
	Cancelled  int    `json:"cancelled"` // in flight when the load stopped
	Reopened   int    `json:"sessions_reopened"`
	FirstError string `json:"first_error,omitempty"`
}

// loadScenario is the background load as the engine runs it: tools/list on
// cfg.Sessions sessions in the closed model, each session pausing 1/Rate
// after an answer, for as long as MaxCalls calls per session take at that
// pace (the cases stop it long before). The closed model, because the load
// is judged on the calls it sent being answered: a case that stalls the
// server delays the load's next calls instead of dropping them.
func loadScenario(cfg LoadConfig, wait time.Duration) framework.Scenario {
	if cfg.Rate == 0 {
		cfg.Rate = 50
	}
	if cfg.MaxCalls == 0 {
		cfg.MaxCalls = 100000
	}
	think := time.Duration(float64(time.Second) / cfg.Rate)
	dur := time.Duration(min(float64(cfg.MaxCalls)*float64(think), float64(365*24*time.Hour)))
	return framework.Scenario{
		Name:           "protocol background load",
		Model:          framework.ClosedModel,
		Sessions:       cfg.Sessions,
		ThinkTime:      think,
		Duration:       dur,
		Workload:       framework.Workload{Ops: []framework.Operation{framework.ListTools()}},
		AllowEarlyStop: true, // the end of the case table stops it
		Config:         framework.Config{MessageTimeout: wait},
	}
}

// startLoad starts the background load on the framework's engine
// (framework.Run), with the lean client's sessions in generation gen; the
// returned function stops it and returns its accounting.
func startLoad(parent context.Context, target client.Target, gen string, cfg LoadConfig, wait, startup time.Duration) func() LoadStats {
	lt, err := loadTarget(target, gen, wait, startup)
	if err != nil {
		st := LoadStats{Workers: cfg.Sessions, FirstError: "load client: " + err.Error()}
		return func() LoadStats { return st }
	}
	sc := loadScenario(cfg, wait)
	ctx, cancel := context.WithCancel(parent)
	done := make(chan LoadStats, 1)
	go func() {
		sum, err := framework.Run(ctx, lt, sc, framework.RunOptions{})
		done <- lt.stats(cfg.Sessions, sum, err)
	}()
	return func() LoadStats {
		cancel()
		st := <-done
		if c, ok := lt.Target.(io.Closer); ok {
			c.Close() // an HTTP target's idle connections
		}
		return st
	}
}

// loadTarget returns a fresh target for the background load: t's server
// and options, with the protocol generation pinned to gen, each call bounded
// by wait and each connect by wait plus the start-up of a stdio process.
func loadTarget(t client.Target, gen string, wait, startup time.Duration) (*loadClient, error) {
	adjust := func(o client.Options) client.Options {
		o.Protocol, o.Timeout, o.ConnectTimeout = gen, wait, wait+startup
		return o
	}
	var lt client.Target
	switch t := t.(type) {
	case *client.TCPTarget:
		lt = &client.TCPTarget{Addr: t.Addr, Options: adjust(t.Options)}
	case *client.HTTPTarget:
		lt = &client.HTTPTarget{URL: t.URL, Options: adjust(t.Options)}
	case *client.StdioTarget:
		lt = &client.StdioTarget{Command: t.Command, Args: t.Args, Env: t.Env, Dir: t.Dir, Options: adjust(t.Options)}
	default:
		return nil, fmt.Errorf("target kind %T", t)
	}
	return &loadClient{Target: lt}, nil
}

// loadClient is the load's target: it keeps the sessions it made, for their
// reconnect counts, and the first failure's text, which the engine's counts
// do not carry.
type loadClient struct {
	client.Target

	mu          sync.Mutex
	sessions    []client.Session
	connectFail int // sessions that failed to open while the load ran
	first       string
}

func (c *loadClient) Connect(ctx context.Context) (client.Session, error) {
	s, err := c.Target.Connect(ctx)
	if err != nil {
		if ctx.Err() == nil { // else the load was stopped while it opened
			c.note("connect: " + err.Error())
			c.mu.Lock()
			c.connectFail++
			c.mu.Unlock()
		}
		return nil, err
	}
	c.mu.Lock()
	c.sessions = append(c.sessions, s)
	c.mu.Unlock()
	return loadSession{s, c}, nil
}

func (c *loadClient) note(what string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.first == "" {
		c.first = what
	}
}

type loadSession struct {
	client.Session
	c *loadClient
}

func (s loadSession) Call(ctx context.Context, req client.Request) client.Response {
	r := s.Session.Call(ctx, req)
	if r.Outcome != client.OK {
		switch err := ctx.Err(); {
		case errors.Is(err, context.Canceled): // the load's stop, not a failure
		case err != nil: // the engine's per-call deadline
			s.c.note(fmt.Sprintf("%v: %v", client.Timeout, err))
		default:
			s.c.note(fmt.Sprintf("%v: %v", r.Outcome, r.Err))
		}
	}
	return r
}

// stats turns the engine's summary into the load's accounting: every
// request the engine scheduled, and every session that failed to open (a
// call that could not be made), is answered, failed or cancelled.
func (c *loadClient) stats(workers int, sum *framework.Summary, err error) LoadStats {
	st := LoadStats{Workers: workers}
	c.mu.Lock()
	defer c.mu.Unlock()
	st.FirstError = c.first
	if sum == nil { // an invalid scenario: nothing ran
		st.FirstError = "load: " + err.Error()
		return st
	}
	n := sum.Counts
	st.Calls = int(sum.Scheduled) + c.connectFail
	st.Answered = int(n.OK)
	st.Failed = int(n.ToolError+n.RPCError+n.TransportError+n.Timeout+n.Dropped) + c.connectFail
	st.Cancelled = int(n.Cancelled)
	for _, s := range c.sessions {
		if cs, ok := s.(client.ClientSession); ok {
			st.Reopened += int(cs.Reconnects())
		}
	}
	if st.FirstError == "" && err != nil && !errors.Is(err, framework.ErrNoSessions) {
		st.FirstError = "load: " + err.Error() // a broken count, which Unaccounted shows
	}
	return st
}
