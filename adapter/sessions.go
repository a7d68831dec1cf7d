package adapter

import (
	"net/http"
	"net/http/httptest"
	"sync"
)

// sessionTracker records the Mcp-Session-Id values a stateful HTTP handler
// mints, so stop can end exactly those sessions (by an in-process DELETE)
// and leave none of their goroutines behind.
type sessionTracker struct {
	next http.Handler
	mu   sync.Mutex
	ids  map[string]struct{}
}

const headerSessionID = "Mcp-Session-Id"

func trackSessions(next http.Handler) *sessionTracker {
	return &sessionTracker{next: next, ids: make(map[string]struct{})}
}

func (t *sessionTracker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodDelete {
		if id := r.Header.Get(headerSessionID); id != "" {
			t.mu.Lock()
			delete(t.ids, id)
			t.mu.Unlock()
		}
	}
	t.next.ServeHTTP(&recordingWriter{ResponseWriter: w, t: t}, r)
}

func (t *sessionTracker) note(h http.Header) {
	if id := h.Get(headerSessionID); id != "" {
		t.mu.Lock()
		t.ids[id] = struct{}{}
		t.mu.Unlock()
	}
}

// closeAll ends every tracked session by sending the handler a DELETE for it.
func (t *sessionTracker) closeAll(path string) {
	t.mu.Lock()
	ids := make([]string, 0, len(t.ids))
	for id := range t.ids {
		ids = append(ids, id)
	}
	t.ids = make(map[string]struct{})
	t.mu.Unlock()
	for _, id := range ids {
		req := httptest.NewRequest(http.MethodDelete, path, nil)
		req.Host = "127.0.0.1"
		req.Header.Set(headerSessionID, id)
		t.next.ServeHTTP(httptest.NewRecorder(), req)
	}
}

// recordingWriter notes the session id when the header is written and
// exposes the underlying writer (for http.ResponseController flushes).
type recordingWriter struct {
	http.ResponseWriter
	t     *sessionTracker
	wrote bool
}

func (w *recordingWriter) WriteHeader(code int) {
	if !w.wrote {
		w.wrote = true
		w.t.note(w.Header())
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

func (w *recordingWriter) Flush() {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *recordingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
