package wire

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
)

// ErrEventTooLarge is returned (wrapped) by SSEReader.Next when one event's
// data, or one line, exceeds the reader's limit.
var ErrEventTooLarge = errors.New("wire: SSE event exceeds size limit")

// SSEEvent is one dispatched Server-Sent Event.
type SSEEvent struct {
	// Type is the "event:" field ("" means the default, "message").
	Type string
	// ID is the last event id seen on the stream so far ("id:" field).
	ID string
	// Data is the joined "data:" lines (joined with "\n", no trailing
	// newline). It may be empty: the 2025-11-25 priming event carries an id
	// and an empty data line. Valid until the next call to Next.
	Data []byte
	// Retry is the reconnection delay of the last valid "retry:" field, zero
	// if none was seen.
	Retry time.Duration
}

// SSEReader parses a text/event-stream body following the WHATWG rules that
// matter for MCP: lines end in "\n" or "\r\n"; lines starting with ':' are
// comments; "data:" lines are joined with "\n"; one optional space after the
// colon is dropped; "id:" and "retry:" persist across events; a blank line
// dispatches the event, and an event without any data line is not
// dispatched. Memory is bounded by the limit: a line or event over it fails
// with ErrEventTooLarge.
type SSEReader struct {
	r     *bufio.Reader
	max   int
	line  []byte
	data  []byte
	typ   string
	id    string
	retry time.Duration
}

// NewSSEReader returns a parser of r with the given per-event limit
// (DefaultMaxFrame when max <= 0).
func NewSSEReader(r io.Reader, max int) *SSEReader {
	if max <= 0 {
		max = DefaultMaxFrame
	}
	return &SSEReader{r: bufio.NewReaderSize(r, 4096), max: max}
}

// Next returns the next event. At the end of the stream it returns io.EOF
// (an event not terminated by a blank line is discarded, per the standard).
func (s *SSEReader) Next() (SSEEvent, error) {
	s.data = s.data[:0]
	hasData := false
	s.typ = ""
	for {
		line, err := s.readLine()
		if err != nil {
			if err == io.EOF && len(line) == 0 {
				return SSEEvent{}, io.EOF
			}
			if err != io.EOF {
				return SSEEvent{}, err
			}
			// a last line without newline: process it, then end
		}
		if len(line) == 0 {
			if err == io.EOF {
				return SSEEvent{}, io.EOF
			}
			if !hasData {
				s.typ = ""
				continue
			}
			ev := SSEEvent{Type: s.typ, ID: s.id, Data: bytes.TrimSuffix(s.data, []byte{'\n'}), Retry: s.retry}
			return ev, nil
		}
		if line[0] != ':' {
			field, value := line, []byte(nil)
			if c := bytes.IndexByte(line, ':'); c >= 0 {
				field, value = line[:c], line[c+1:]
				if len(value) > 0 && value[0] == ' ' {
					value = value[1:]
				}
			}
			switch string(field) {
			case "data":
				if len(s.data)+len(value)+1 > s.max+1 {
					return SSEEvent{}, fmt.Errorf("%w (limit %d bytes)", ErrEventTooLarge, s.max)
				}
				s.data = append(s.data, value...)
				s.data = append(s.data, '\n')
				hasData = true
			case "event":
				s.typ = string(value)
			case "id":
				if bytes.IndexByte(value, 0) < 0 {
					s.id = string(value)
				}
			case "retry":
				if n, perr := strconv.ParseUint(string(value), 10, 31); perr == nil {
					s.retry = time.Duration(n) * time.Millisecond
				}
			}
		}
		if err == io.EOF {
			return SSEEvent{}, io.EOF
		}
	}
}

// readLine returns one line without its ending, bounded by the limit.
func (s *SSEReader) readLine() ([]byte, error) {
	s.line = s.line[:0]
	for {
		chunk, err := s.r.ReadSlice('\n')
		if len(s.line)+len(chunk) > s.max+2 {
			return nil, fmt.Errorf("%w (limit %d bytes)", ErrEventTooLarge, s.max)
		}
		s.line = append(s.line, chunk...)
		if err == bufio.ErrBufferFull {
			continue
		}
		line := bytes.TrimSuffix(s.line, []byte{'\n'})
		line = bytes.TrimSuffix(line, []byte{'\r'})
		return line, err
	}
}

// Reset makes s read a new stream (keeping its buffers), so parsers can be
// pooled; the persistent id and retry fields are cleared.
func (s *SSEReader) Reset(r io.Reader) {
	s.r.Reset(r)
	s.data = s.data[:0]
	s.line = s.line[:0]
	s.typ, s.id, s.retry = "", "", 0
}

// SetLimit changes the per-event limit (DefaultMaxFrame when max <= 0).
func (s *SSEReader) SetLimit(max int) {
	if max <= 0 {
		max = DefaultMaxFrame
	}
	s.max = max
}
