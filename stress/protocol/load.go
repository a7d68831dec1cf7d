package protocol

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
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

// LoadStats accounts for every background call: Calls = Answered + Failed.
type LoadStats struct {
	Workers    int    `json:"sessions"`
	Calls      int    `json:"calls"`
	Answered   int    `json:"answered"`
	Failed     int    `json:"failed"`
	Reopened   int    `json:"sessions_reopened"`
	FirstError string `json:"first_error,omitempty"`
}

// startLoad starts the load sessions; the returned function stops them
// and returns their totals.
func startLoad(parent context.Context, p *prober, gen string, cfg LoadConfig, wait time.Duration) func() LoadStats {
	if cfg.Rate == 0 {
		cfg.Rate = 50
	}
	if cfg.MaxCalls == 0 {
		cfg.MaxCalls = 100000
	}
	ctx, cancel := context.WithCancel(parent)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total = LoadStats{Workers: cfg.Sessions}
	)
	interval := time.Duration(float64(time.Second) / cfg.Rate)
	for range cfg.Sessions {
		wg.Go(func() {
			st := loadWorker(ctx, p, gen, interval, cfg.MaxCalls, wait)
			mu.Lock()
			defer mu.Unlock()
			total.Calls += st.Calls
			total.Answered += st.Answered
			total.Failed += st.Failed
			total.Reopened += st.Reopened
			if total.FirstError == "" {
				total.FirstError = st.FirstError
			}
		})
	}
	return func() LoadStats {
		cancel()
		wg.Wait()
		return total
	}
}

// loadWorker calls tools/list on its own session at a fixed interval until
// ctx ends or maxCalls are made. A failed call reopens the session.
func loadWorker(ctx context.Context, p *prober, gen string, interval time.Duration, maxCalls int, wait time.Duration) LoadStats {
	var st LoadStats
	fail := func(what string) {
		st.Failed++
		if st.FirstError == "" {
			st.FirstError = what
		}
	}
	var s *session
	defer func() {
		if s != nil {
			s.close()
		}
	}()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for st.Calls < maxCalls {
		select {
		case <-ctx.Done():
			return st
		case <-tick.C:
		}
		if s == nil {
			octx, cancel := context.WithTimeout(ctx, wait)
			var err error
			s, err = p.open(octx, gen, true)
			cancel()
			if err != nil {
				if ctx.Err() != nil {
					return st
				}
				st.Calls++
				fail("open: " + err.Error())
				s = nil
				continue
			}
		}
		cctx, cancel := context.WithTimeout(ctx, wait)
		a := s.request(cctx, "tools/list", map[string]any{})
		cancel()
		if ctx.Err() != nil && a.Msg == nil {
			return st // stopped mid-call: not counted
		}
		st.Calls++
		if a.Msg != nil && a.Msg.Result != nil {
			st.Answered++
			continue
		}
		fail(a.Summary())
		s.close()
		s = nil
		st.Reopened++
	}
	return st
}
