// Package tailbuf owns the bounded buffer that keeps the last bytes a child
// process wrote (a server's or a stdio session's stderr), so a report can
// show them without memory growing with the process's output.
package tailbuf

import "sync"

// Buffer keeps the last Limit bytes written to it; it is safe for concurrent
// use. Create it with New.
type Buffer struct {
	mu    sync.Mutex
	limit int
	buf   []byte
	total int64
}

// New returns a Buffer keeping the last limit bytes (at least 1).
func New(limit int) *Buffer { return &Buffer{limit: max(limit, 1)} }

// Write keeps the tail of what was written so far; it never fails.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.total += int64(len(p))
	if len(p) >= b.limit {
		b.buf = append(b.buf[:0], p[len(p)-b.limit:]...)
		return len(p), nil
	}
	if over := len(b.buf) + len(p) - b.limit; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	b.buf = append(b.buf, p...)
	return len(p), nil
}

// Bytes returns a copy of the kept tail.
func (b *Buffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]byte(nil), b.buf...)
}

// String returns the kept tail as a string.
func (b *Buffer) String() string { return string(b.Bytes()) }

// Total is how many bytes were written in all, kept or not.
func (b *Buffer) Total() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.total
}
