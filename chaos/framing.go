package chaos

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// Framing says how a byte stream divides into the JSON-RPC messages a
// message-level fault (Loss, Corrupt) acts on.
type Framing uint8

const (
	// NewlineFrames: one JSON-RPC message per line (TCP and stdio
	// targets), the zero value.
	NewlineFrames Framing = iota
	// HTTPFrames: one HTTP/1.1 request or response per message (Streamable
	// HTTP targets); the JSON is in its body (Content-Length or chunked;
	// a response with neither runs to the close).
	HTTPFrames
)

func (f Framing) String() string {
	switch f {
	case NewlineFrames:
		return "newline frames"
	case HTTPFrames:
		return "HTTP messages"
	}
	return fmt.Sprintf("Framing(%d)", uint8(f))
}

// framer follows message boundaries in one direction of a stream without
// holding bytes back: split tells how much of data belongs to the message
// in progress, whether that part starts a new message, and where in it the
// message's payload (the JSON) begins: body is the offset of the first
// payload byte in data[:n], or n when none is there.
type framer interface {
	split(data []byte) (n int, starts bool, body int)
}

func newFramer(f Framing) framer {
	if f == HTTPFrames {
		return &httpFramer{}
	}
	return &lineFramer{}
}

type lineFramer struct{ mid bool }

func (f *lineFramer) split(data []byte) (int, bool, int) {
	starts := !f.mid
	n := len(data)
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		n = i + 1
		f.mid = false
	} else {
		f.mid = true
	}
	return n, starts, 0
}

// httpFramer is a small HTTP/1.1 message-boundary tracker, enough for
// JSON-RPC over Streamable HTTP: headers, then a Content-Length or chunked
// body (or, for a response with neither, everything to the close).
type httpFramer struct {
	state   int
	head    []byte // the header block so far (bounded)
	left    int64  // body or chunk bytes left
	line    []byte // a chunk-size or trailer line so far
	started bool   // the current message has begun
}

const (
	hStart = iota
	hHead
	hBody      // left bytes of Content-Length body
	hToClose   // body to the end of the stream
	hChunkSize // reading a chunk-size line
	hChunkData // left bytes of chunk data (+2 for its CRLF)
	hTrailer   // reading trailer lines until an empty one
)

const maxHead = 64 << 10

func (f *httpFramer) split(data []byte) (int, bool, int) {
	starts := false
	if f.state == hStart {
		f.state, f.head, starts = hHead, f.head[:0], true
	}
	switch f.state {
	case hHead:
		old := len(f.head)
		f.head = append(f.head, data[:min(len(data), maxHead)]...)
		i := bytes.Index(f.head, []byte("\r\n\r\n"))
		if i < 0 {
			if len(f.head) >= maxHead { // not HTTP as we know it: pass the rest as one message
				f.state = hToClose
			}
			return len(data), starts, len(data)
		}
		n := i + 4 - old
		f.head = f.head[:i+4]
		f.afterHead()
		return n, starts, len(data[:n])
	case hBody:
		n := int(min(int64(len(data)), f.left))
		f.left -= int64(n)
		if f.left == 0 {
			f.state = hStart
		}
		return n, starts, 0
	case hToClose:
		return len(data), starts, 0
	case hChunkSize, hTrailer:
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			f.line = append(f.line, data...)
			return len(data), starts, len(data)
		}
		f.line = append(f.line, data[:i+1]...)
		line := strings.TrimSpace(string(f.line))
		f.line = f.line[:0]
		if f.state == hTrailer {
			if line == "" {
				f.state = hStart
			}
			return i + 1, starts, i + 1
		}
		size, _, _ := strings.Cut(line, ";")
		sz, err := strconv.ParseInt(strings.TrimSpace(size), 16, 64)
		switch {
		case err != nil:
			f.state = hToClose // lost the framing: the rest is one message
		case sz == 0:
			f.state = hTrailer
		default:
			f.state, f.left = hChunkData, sz+2
		}
		return i + 1, starts, i + 1
	case hChunkData:
		n := int(min(int64(len(data)), f.left))
		f.left -= int64(n)
		if f.left == 0 {
			f.state = hChunkSize
		}
		return n, starts, 0
	}
	return len(data), starts, len(data)
}

// afterHead reads the finished header block and sets up the body.
func (f *httpFramer) afterHead() {
	lines := strings.Split(string(f.head), "\r\n")
	first := lines[0]
	response := strings.HasPrefix(first, "HTTP/")
	if response {
		if code, err := strconv.Atoi(strings.Fields(first + " x x")[1]); err == nil && (code < 200 || code == 204 || code == 304) {
			f.state = hStart
			return
		}
	}
	var length int64 = -1
	chunked := false
	for _, l := range lines[1:] {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "content-length":
			if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
				length = n
			}
		case "transfer-encoding":
			chunked = strings.Contains(strings.ToLower(v), "chunked")
		}
	}
	switch {
	case chunked:
		f.state = hChunkSize
	case length > 0:
		f.state, f.left = hBody, length
	case length == 0 || !response:
		f.state = hStart
	default:
		f.state = hToClose
	}
}
