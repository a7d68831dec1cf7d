package protocol

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/mcpstress/mcpstress/framework/client"
	"github.com/mcpstress/mcpstress/wire"
)

// Config is one run of the case table against one target.
type Config struct {
	// Target is the server under test, from client.ParseTarget: a loopback
	// tcp:// or http:// target, or a stdio: command (whose processes
	// StartProcess spawns, with the target's Env, Dir and process cap). Its
	// Options.Token is the bearer token of HTTP requests: when set, the
	// auth cases run. The background load's sessions are made with its
	// options, the run setting their generation and timeouts.
	Target client.Target
	// Generations to try, of Legacy and Modern; both when empty. A
	// generation the server does not serve is reported and its cases
	// skipped.
	Generations []string
	// ReplyWait bounds the wait for each answer; 5 s when zero.
	ReplyWait time.Duration
	// CaseTimeout bounds one case including its follow-up checks; 90 s
	// when zero.
	CaseTimeout time.Duration
	// StartupWait is added to the first wait on a freshly spawned stdio
	// process (interpreters such as node take seconds to start on a busy
	// machine); 30 s when zero.
	StartupWait time.Duration
	// OversizeBytes is the size of the oversized frame; 17 MiB when zero
	// (over the MCP Go SDK's 16 MiB line limit and every 4 MiB body limit).
	OversizeBytes int
	// Load runs valid calls on other sessions while the cases run.
	Load LoadConfig
	// Cases is the case table; Cases() when nil.
	Cases []Case
}

// Validate reports every problem with c at once.
func (c Config) Validate() error {
	var errs []error
	if _, err := newWireTarget(c.Target); err != nil {
		errs = append(errs, err)
	}
	for _, g := range c.Generations {
		if g != Legacy && g != Modern {
			errs = append(errs, fmt.Errorf("protocol: generation %q (want %s or %s)", g, Legacy, Modern))
		}
	}
	if c.ReplyWait < 0 || c.CaseTimeout < 0 || c.StartupWait < 0 {
		errs = append(errs, errors.New("protocol: negative ReplyWait, CaseTimeout or StartupWait"))
	}
	if c.OversizeBytes < 0 || c.OversizeBytes > maxReply/2 {
		errs = append(errs, fmt.Errorf("protocol: OversizeBytes %d outside [0, %d]", c.OversizeBytes, maxReply/2))
	}
	if err := c.Load.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if len(c.Generations) == 0 {
		c.Generations = []string{Legacy, Modern}
	}
	if c.ReplyWait == 0 {
		c.ReplyWait = 5 * time.Second
	}
	if c.CaseTimeout == 0 {
		c.CaseTimeout = 90 * time.Second
	}
	if c.OversizeBytes == 0 {
		c.OversizeBytes = 17 << 20
	}
	if c.StartupWait == 0 {
		c.StartupWait = 30 * time.Second
	}
	if _, stdio := c.Target.(*client.StdioTarget); !stdio {
		c.StartupWait = 0 // only spawned processes have a start-up
	}
	if c.Cases == nil {
		c.Cases = Cases()
	}
	return c
}

// Run executes the case table against cfg.Target in every generation the
// server serves, with the background load if configured, and returns the
// report. The error is for a run that could not happen at all (invalid
// config, no generation served); what the server did is in the report.
func Run(ctx context.Context, cfg Config) (Report, error) {
	if err := cfg.Validate(); err != nil {
		return Report{}, err
	}
	cfg = cfg.withDefaults()
	wt, _ := newWireTarget(cfg.Target) // checked by Validate
	tr := &http.Transport{MaxIdleConnsPerHost: 16}
	defer tr.CloseIdleConnections()
	p := &prober{target: wt, hc: &http.Client{Transport: tr}}
	rep := Report{Target: cfg.Target.String()}

	var gens []string
	sessions := false
	for _, g := range cfg.Generations {
		info, sids, err := detect(ctx, p, g, cfg.ReplyWait, cfg.StartupWait)
		if err != nil {
			rep.Notes = append(rep.Notes, fmt.Sprintf("%s not served: %v; its cases are skipped", g, err))
			continue
		}
		if g == Legacy {
			sessions = sids
		}
		if rep.Server == "" {
			rep.Server = info
		}
		gens = append(gens, g)
	}
	if len(gens) == 0 {
		rep.count()
		return rep, fmt.Errorf("protocol: %s serves none of %v: %v", cfg.Target, cfg.Generations, rep.Notes)
	}

	var stopLoad func() LoadStats
	if cfg.Load.Sessions > 0 {
		stopLoad = startLoad(ctx, cfg.Target, gens[0], cfg.Load, cfg.ReplyWait, cfg.StartupWait)
	}
	for _, g := range cfg.Generations {
		for _, c := range cfg.Cases {
			st := Setting{Kind: wt.kind, Gen: g, Token: wt.token != "", Sessions: sessions, OversizeBytes: cfg.OversizeBytes}
			row := Row{Case: c.Name, Category: c.Category, Transport: wt.kind, Generation: g}
			if !slices.Contains(gens, g) {
				row.Expected, row.Got, row.Verdict = c.Expect(st), "generation not served", VerdictSkipped
			} else if why := c.Applies(st); why != "" {
				row.Expected, row.Got, row.Verdict = "-", why, VerdictSkipped
			} else {
				row.Expected = c.Expect(st)
				row.Got, row.Verdict = runCase(ctx, p, c, st, cfg)
			}
			rep.Rows = append(rep.Rows, row)
			if ctx.Err() != nil {
				break
			}
		}
	}
	if stopLoad != nil {
		rep.Load = stopLoad()
		if rep.Load.Failed > 0 {
			rep.Notes = append(rep.Notes, fmt.Sprintf("background load: %d of %d valid calls on other sessions failed (%s)",
				rep.Load.Failed, rep.Load.Calls, rep.Load.FirstError))
		}
	}
	rep.count()
	return rep, ctx.Err()
}

// detect checks that the server serves generation g: a legacy handshake,
// or a 2026 server/discover whose supportedVersions include 2026-07-28. It
// returns the server's name and version, and (legacy HTTP) whether the
// server minted a session id.
func detect(ctx context.Context, p *prober, g string, wait, startup time.Duration) (info string, sessions bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, 2*wait+startup)
	defer cancel()
	s, err := p.open(ctx, g, true)
	if err != nil {
		return "", false, err
	}
	defer s.close()
	if g == Legacy {
		a := s.request(ctx, "tools/list", map[string]any{})
		if a.Msg == nil {
			return "", false, fmt.Errorf("tools/list after initialize: %s", a.Summary())
		}
		return s.serverInfo, s.sid != "", nil
	}
	a := s.request(ctx, "server/discover", map[string]any{})
	if a.Msg == nil || a.Msg.Result == nil {
		return "", false, fmt.Errorf("server/discover: %s", a.Summary())
	}
	var r struct {
		Supported []string `json:"supportedVersions"`
		Meta      map[string]struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		} `json:"_meta"`
	}
	json.Unmarshal(a.Msg.Result, &r)
	if !slices.Contains(r.Supported, Modern) {
		return "", false, fmt.Errorf("server/discover lists %v, not %s", r.Supported, Modern)
	}
	si := r.Meta[wire.MetaServerInfo]
	if si.Name != "" {
		info = si.Name + " " + si.Version
	}
	return info, false, nil
}

// slowWait is the least wait of a SlowReply case: server-everything takes
// about 13 s to read a 17 MiB stdio line on a busy 2-core machine.
const slowWait = 25 * time.Second

// runCase runs one case with its follow-up checks and returns what the
// server did and the verdict.
func runCase(parent context.Context, p *prober, c Case, st Setting, cfg Config) (got, verdict string) {
	ctx, cancel := context.WithTimeout(parent, cfg.CaseTimeout)
	defer cancel()

	octx, ocancel := context.WithTimeout(ctx, cfg.ReplyWait+cfg.StartupWait)
	s, err := p.open(octx, st.Gen, !c.Fresh)
	ocancel()
	if err != nil {
		// The previous case's fresh-session check passed, so this is the
		// server failing to start or handshake in time, not a case.
		return "could not open a session for the case: " + err.Error(), VerdictError
	}
	defer s.close()

	dwait := cfg.ReplyWait * time.Duration(max(c.ReplyWaits, 1))
	if c.SlowReply {
		dwait = max(4*cfg.ReplyWait, slowWait)
	}
	if c.Fresh {
		dwait += cfg.StartupWait // the first exchange of a new process
	}
	dctx, dcancel := context.WithTimeout(ctx, dwait)
	a := c.Do(dctx, s, st)
	dcancel()
	got = a.Summary()
	verdict = VerdictMismatch
	if c.Check(st, a) {
		verdict = VerdictExpected
	}
	if a.NoReply {
		// Not answered within the wait: a finding. Whether the server is
		// hung is for the follow-up below to tell.
		verdict = VerdictMismatch
	}
	if a.Closed && !c.AllowClose && st.Kind != Stdio {
		// A closed connection is a finding, not a crash, if the server
		// still accepts new sessions (checked below).
		verdict = VerdictMismatch
	}

	// The server must still answer the next valid request on the same
	// session (a fresh case session has no handshake: skip it there).
	if !a.Closed && !c.Fresh {
		fctx, fcancel := context.WithTimeout(ctx, dwait) // a slow case's input may still be digesting
		f := s.request(fctx, "tools/list", map[string]any{})
		fcancel()
		if f.Msg == nil {
			if desc, dead := s.deadProcess(); dead {
				return got + "; then the process exited: " + desc, VerdictCrash
			}
			if !f.Closed {
				return got + "; next valid request on the same session: " + f.Summary(), VerdictHang
			}
			if c.AllowClose {
				// It closed the connection on the case's input (the
				// close arrived after the reply wait): an allowed answer.
				a.Closed = true
				got += "; then closed the connection"
				verdict = VerdictMismatch
				if c.Check(st, a) {
					verdict = VerdictExpected
				}
			} else {
				// Closing instead of answering is a finding; whether the
				// server survived is checked on a fresh session below.
				got += "; then closed the connection instead of answering the next request"
				verdict = VerdictMismatch
			}
		}
	}
	// Over stdio the process is the server: one that exits on a case is
	// down, however cleanly it exits (unless closing is an allowed answer).
	if a.Closed && s.conn != nil {
		s.conn.waitExit(2 * time.Second) // a stdio server that closed its pipes is usually exiting
	}
	if desc, dead := s.deadProcess(); dead {
		if !(c.AllowClose && a.Closed) {
			return got + "; the process exited: " + desc, VerdictCrash
		}
		got += "; the process exited: " + desc
	}
	if st.Kind == Stdio {
		return got, verdict // every stdio case has its own process
	}
	// And a fresh session must still work: otherwise the case took the
	// server down.
	lctx, lcancel := context.WithTimeout(ctx, 2*cfg.ReplyWait+cfg.StartupWait)
	defer lcancel()
	ls, err := p.open(lctx, st.Gen, true)
	if err != nil {
		return got + "; afterwards no new session: " + err.Error(), VerdictCrash
	}
	defer ls.close()
	if l := ls.request(lctx, "tools/list", map[string]any{}); l.Msg == nil {
		return got + "; afterwards a new session got: " + l.Summary(), VerdictCrash
	}
	return got, verdict
}

// deadProcess reports whether the session's stdio process has exited.
func (s *session) deadProcess() (string, bool) {
	if s.conn == nil {
		return "", false
	}
	return s.conn.exitedEarly()
}
