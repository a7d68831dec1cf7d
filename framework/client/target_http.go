package client

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// HTTPTarget is an MCP server speaking Streamable HTTP at URL. Its sessions
// share one tuned connection pool. The target counts its live sessions
// (including ones still connecting): when the last one closes, or its
// handshake fails, the pool's idle keep-alive connections are closed, so a
// finished run leaves no connection goroutines behind. Close releases them
// explicitly too.
type HTTPTarget struct {
	URL     string
	Options Options

	once      sync.Once
	transport *http.Transport
	client    *http.Client
	h1        *h1Pool // the lean client of the request path (http:// only)

	mu   sync.Mutex // guards live
	live int        // sessions connecting or open
}

var _ Target = (*HTTPTarget)(nil)

// String implements Target.
func (t *HTTPTarget) String() string { return t.URL }

// Connect implements Target: it performs the handshake of the chosen
// generation (discover, or initialize plus notifications/initialized).
func (t *HTTPTarget) Connect(ctx context.Context) (Session, error) {
	return t.ConnectSession(ctx)
}

// ConnectSession is Connect returning the concrete session.
func (t *HTTPTarget) ConnectSession(ctx context.Context) (*HTTPSession, error) {
	t.once.Do(t.init)
	opts := t.Options.withDefaults()
	t.acquire()
	s := &HTTPSession{
		url:     t.URL,
		client:  t.client,
		h1:      t.h1,
		static:  h1StaticHeaders(opts),
		opts:    opts,
		sem:     make(chan struct{}, opts.Pipeline),
		onClose: t.release,
	}
	if err := s.establish(ctx); err != nil {
		s.wg.Wait()
		t.release()
		return nil, fmt.Errorf("connect %s: %w", t, err)
	}
	return s, nil
}

// acquire counts one more live session.
func (t *HTTPTarget) acquire() {
	t.mu.Lock()
	t.live++
	t.mu.Unlock()
}

// release counts one live session less; the last one out closes the pool's
// idle connections. A session connecting concurrently keeps its own
// in-use connection: CloseIdleConnections touches idle ones only.
func (t *HTTPTarget) release() {
	t.mu.Lock()
	t.live--
	last := t.live == 0
	t.mu.Unlock()
	if last {
		t.transport.CloseIdleConnections()
		if t.h1 != nil {
			t.h1.closeIdle()
		}
	}
}

// LiveSessions is the number of sessions connecting or open on the target.
func (t *HTTPTarget) LiveSessions() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.live
}

func (t *HTTPTarget) init() {
	opts := t.Options.withDefaults()
	d := &net.Dialer{Timeout: opts.ConnectTimeout, KeepAlive: 30 * time.Second}
	t.transport = &http.Transport{
		DialContext:         d.DialContext,
		MaxIdleConns:        0, // no global cap: one idle connection per busy session
		MaxIdleConnsPerHost: 1 << 16,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
		TLSHandshakeTimeout: opts.ConnectTimeout,
		WriteBufferSize:     4 << 10,
		ReadBufferSize:      4 << 10,
	}
	t.client = &http.Client{Transport: t.transport}
	t.h1 = newH1Pool(t.URL, opts.ConnectTimeout)
}

// Close closes the idle connections of the target's pool (sessions stay
// usable and open new ones). Closing the last session does the same, so
// Close is needed only to release connections while sessions stay open.
func (t *HTTPTarget) Close() error {
	t.once.Do(t.init)
	t.transport.CloseIdleConnections()
	if t.h1 != nil {
		t.h1.closeIdle()
	}
	return nil
}
