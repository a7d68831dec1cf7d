package protocol

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/mcpstress/mcpstress/framework"
)

// LoadConfig is the background load of valid calls that runs on other
// sessions while the cases run ("under load"). The zero value means none.
type LoadConfig struct {
	// Sessions is the number of load sessions (for stdio: processes).
	Sessions int
	// Rate is the calls per second of each session; 50 when zero.
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

// startLoad starts the load sessions on the project's lean client
// (framework.ParseTarget), each in generation gen; the returned function
// stops them and returns their totals.
func startLoad(parent context.Context, p *prober, gen string, cfg LoadConfig, wait, startup time.Duration) func() LoadStats {
	if cfg.Rate == 0 {
		cfg.Rate = 50
	}
	if cfg.MaxCalls == 0 {
		cfg.MaxCalls = 100000
	}
	ctx, cancel := context.WithCancel(parent)
	total := LoadStats{Workers: cfg.Sessions}
	target, err := framework.ParseTarget(p.target.String(), framework.ClientOptions{
		Protocol:       gen,
		Token:          p.target.Token,
		Timeout:        wait,
		ConnectTimeout: wait + startup,
	})
	if err != nil {
		cancel()
		total.FirstError = "load client: " + err.Error()
		return func() LoadStats { return total }
	}
	var (
		wg sync.WaitGroup
		mu sync.Mutex
	)
	interval := time.Duration(float64(time.Second) / cfg.Rate)
	for range cfg.Sessions {
		wg.Go(func() {
			st := loadWorker(ctx, target, interval, cfg.MaxCalls)
			mu.Lock()
			defer mu.Unlock()
			total.Calls += st.Calls
			total.Answered += st.Answered
			total.Failed += st.Failed
			total.Cancelled += st.Cancelled
			total.Reopened += st.Reopened
			if total.FirstError == "" {
				total.FirstError = st.FirstError
			}
		})
	}
	return func() LoadStats {
		cancel()
		wg.Wait()
		if c, ok := target.(io.Closer); ok {
			c.Close()
		}
		return total
	}
}

// loadWorker calls tools/list on its own session at a fixed interval until
// ctx ends or maxCalls are made. A failed call reopens the session.
func loadWorker(ctx context.Context, target framework.Target, interval time.Duration, maxCalls int) LoadStats {
	var st LoadStats
	fail := func(what string) {
		st.Failed++
		if st.FirstError == "" {
			st.FirstError = what
		}
	}
	var sess framework.Session
	defer func() {
		if sess != nil {
			sess.Close()
		}
	}()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	req := framework.Request{Method: "tools/list", Params: json.RawMessage(`{}`)}
	for st.Calls < maxCalls {
		select {
		case <-ctx.Done():
			return st
		case <-tick.C:
		}
		if sess == nil {
			var err error
			sess, err = target.Connect(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return st
				}
				st.Calls++
				fail("connect: " + err.Error())
				sess = nil
				continue
			}
		}
		resp := sess.Call(ctx, req)
		st.Calls++
		if resp.Outcome == framework.Cancelled || (ctx.Err() != nil && resp.Outcome != framework.OK) {
			st.Cancelled++ // stopped mid-call: not a server failure
			return st
		}
		if resp.Outcome == framework.OK {
			st.Answered++
			continue
		}
		fail(fmt.Sprintf("%v: %v", resp.Outcome, resp.Err))
		sess.Close()
		sess = nil
		st.Reopened++
	}
	return st
}
