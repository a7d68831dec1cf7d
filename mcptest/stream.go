package mcptest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"sync"

	"github.com/mcpstress/mcpstress/wire"
)

// lineWriter serializes writes of newline-terminated frames to one stream.
type lineWriter struct {
	mu sync.Mutex
	bw *bufio.Writer
}

func (w *lineWriter) writeLine(b []byte, flush bool) {
	w.mu.Lock()
	_, _ = w.bw.Write(b)
	_ = w.bw.WriteByte('\n')
	if flush {
		_ = w.bw.Flush()
	}
	w.mu.Unlock()
}

func (w *lineWriter) flush() {
	w.mu.Lock()
	if w.bw.Buffered() > 0 {
		_ = w.bw.Flush()
	}
	w.mu.Unlock()
}

// frameBuffered reports whether a complete frame is already buffered, in
// which case replies are batched instead of flushed.
func frameBuffered(br *bufio.Reader) bool {
	n := br.Buffered()
	if n == 0 {
		return false
	}
	p, _ := br.Peek(n)
	return bytes.IndexByte(p, '\n') >= 0
}

// maxSlowPerConn bounds the slow requests one connection may have in
// flight at once; beyond it the connection stops being read until one ends.
const maxSlowPerConn = 1024

// serveStream serves newline-delimited JSON-RPC on one stream (a TCP
// connection or stdin/stdout) until the input ends or ctx is done; the
// caller unblocks a pending read on ctx's end by closing the stream.
//
// One goroutine reads frames and answers fast requests inline into a
// reused buffer; replies are flushed only when no further complete frame
// is buffered, so pipelined requests share writes. Requests that may take
// long (sleep, cpu, or any request while a delay/stall/registry fault is
// on, or while SlowEvery slows this connection) run in their own goroutine
// so they never hold up the pipeline.
//
// index is the stream's accept index (handler.newConn), which the
// SlowEvery fault slows by.
func (h *handler) serveStream(ctx context.Context, r io.Reader, w io.Writer, maxFrame int, index int64) {
	br := bufio.NewReaderSize(r, 4<<10) // FrameReader reuses it: same size; small so idle connections stay cheap (100K work)
	fr := wire.NewFrameReaderSize(br, maxFrame, 4<<10)
	lw := &lineWriter{bw: bufio.NewWriterSize(w, 4<<10)} // larger replies bypass it
	sess := &session{gate: true, index: index}
	connCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
		lw.flush()
	}()
	slots := make(chan struct{}, maxSlowPerConn)
	// Notifications of an inline request go out before its reply.
	emitInline := func(msg []byte) { h.stats.notes.Add(1); lw.writeLine(msg, false) }
	var buf []byte
	var async int // requests ever handed to goroutines; 0 skips duplicate checks
	for {
		frame, err := fr.Next()
		if err != nil && !errors.Is(err, wire.ErrFrameTooLarge) {
			return // EOF, truncated last frame, or closed
		}
		reply := false
		if err != nil {
			h.stats.tooLarge.Add(1)
			h.stats.count(methodInvalid, OutcomeRPCError, wire.CodeInvalidRequest)
			buf = appendErrorResponse(buf[:0], nil, errorf(wire.CodeInvalidRequest, err.Error()))
			reply = true
		} else {
			req, id, perr := parseRequest(frame)
			switch {
			case perr != nil:
				h.stats.count(methodInvalid, OutcomeRPCError, perr.Code)
				buf = appendErrorResponse(buf[:0], id, perr)
				reply = true
			case req.Response:
			case req.IsNotification():
				h.notify(sess, &req)
			case async > 0 && sess.inFlight(req.ID):
				h.stats.count(req.Method, OutcomeRPCError, wire.CodeInvalidRequest)
				buf = appendErrorResponse(buf[:0], req.ID, errorf(wire.CodeInvalidRequest, "duplicate in-flight request id "+string(req.ID)))
				reply = true
			case h.slow(sess, &req):
				// Bound the goroutines (and memory) one connection can
				// hold: when every slot is busy, stop reading, which
				// pushes back on the client through TCP.
				select {
				case slots <- struct{}{}:
				default:
					h.stats.paused.Add(1)
					lw.flush()
					select {
					case slots <- struct{}{}:
					case <-connCtx.Done():
						return
					}
				}
				// The request outlives this frame's buffer: parse a copy.
				req, _, _ = parseRequest(bytes.Clone(frame))
				reqCtx, rcancel := context.WithCancel(connCtx)
				sess.begin(req.ID, rcancel)
				async++
				wg.Add(1)
				req.emit = func(msg []byte) { h.stats.notes.Add(1); lw.writeLine(msg, true) }
				go func(req request) {
					defer wg.Done()
					defer func() { <-slots }()
					defer rcancel()
					out, _, ok := h.answer(reqCtx, sess, &req, nil)
					sess.end(req.ID)
					if ok {
						lw.writeLine(out, true)
					}
				}(req)
			default:
				req.emit = emitInline
				buf, _, reply = h.answer(connCtx, sess, &req, buf[:0])
			}
		}
		if reply {
			lw.writeLine(buf, false)
			if cap(buf) > 1<<20 {
				buf = nil // do not pin a large reply's buffer for the connection's life
			}
		}
		// Batch replies while more complete frames wait; flush before the
		// read loop could block.
		if !frameBuffered(br) {
			lw.flush()
		}
	}
}

// serveRawEcho echoes every line back unchanged (no JSON): the raw
// ceiling benchmarks compare the MCP path with.
func serveRawEcho(r io.Reader, w io.Writer) {
	br := bufio.NewReaderSize(r, 64<<10)
	bw := bufio.NewWriterSize(w, 64<<10)
	defer bw.Flush()
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			if _, werr := bw.Write(line); werr != nil {
				return
			}
		}
		if err != nil && err != bufio.ErrBufferFull {
			return
		}
		if err == nil && !frameBuffered(br) {
			if bw.Flush() != nil {
				return
			}
		}
	}
}
