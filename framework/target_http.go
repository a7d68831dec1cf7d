package framework

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// HTTPTarget is an MCP server speaking Streamable HTTP at URL. Its sessions
// share one tuned connection pool; Close releases the pool's idle
// connections.
type HTTPTarget struct {
	URL     string
	Options ClientOptions

	once      sync.Once
	transport *http.Transport
	client    *http.Client
	sessions  atomic.Uint64
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
	s := &HTTPSession{
		url:    t.URL,
		client: t.client,
		opts:   opts,
		sem:    make(chan struct{}, opts.Pipeline),
	}
	if err := s.establish(ctx); err != nil {
		s.wg.Wait()
		return nil, fmt.Errorf("connect %s: %w", t, err)
	}
	return s, nil
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
}

// Close closes the idle connections of the target's pool (sessions stay
// usable and open new ones). Call it when done with the target so no
// connection goroutines remain.
func (t *HTTPTarget) Close() error {
	t.once.Do(t.init)
	t.transport.CloseIdleConnections()
	return nil
}
