package wire

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// DefaultMaxFrame is the frame-size limit used when none is configured.
const DefaultMaxFrame = 4 << 20

// ErrFrameTooLarge is returned (wrapped) for a frame over the reader's limit.
// The oversized frame is discarded up to its newline, so the stream stays
// usable and memory stays bounded by the limit.
var ErrFrameTooLarge = errors.New("wire: frame exceeds size limit")

// FrameReader reads newline-delimited frames, each at most Max bytes.
//
// A read that fails with a deadline error (os.ErrDeadlineExceeded, as set by
// SetReadDeadline on a net.Conn or pipe) keeps the partial frame: the next
// call to Next resumes where the timed-out one stopped, so a client may use
// read deadlines for per-request timeouts without losing the framing.
type FrameReader struct {
	r   *bufio.Reader
	max int
	buf []byte
	// resume state after a deadline error in the middle of a frame
	partial  bool
	tooLarge bool
}

// NewFrameReader returns a reader of frames from r with the given limit
// (DefaultMaxFrame when max <= 0) and a 64 KiB read buffer.
func NewFrameReader(r io.Reader, max int) *FrameReader {
	return NewFrameReaderSize(r, max, 64<<10)
}

// NewFrameReaderSize is NewFrameReader with a chosen read-buffer size. Frames
// longer than the buffer are still read (up to max) by accumulating chunks; a
// small buffer keeps the memory of many idle connections low.
func NewFrameReaderSize(r io.Reader, max, size int) *FrameReader {
	if max <= 0 {
		max = DefaultMaxFrame
	}
	if size < 16 {
		size = 16
	}
	return &FrameReader{r: bufio.NewReaderSize(r, size), max: max}
}

// Buffered reports how many bytes are already read from the underlying reader
// but not yet returned as frames.
func (f *FrameReader) Buffered() int { return f.r.Buffered() }

// Next returns the next non-empty frame without its line ending. The slice is
// valid until the next call. At the end of the stream it returns io.EOF; a
// final frame without a newline is returned with io.ErrUnexpectedEOF.
func (f *FrameReader) Next() ([]byte, error) {
	for {
		if !f.partial {
			f.buf = f.buf[:0]
			f.tooLarge = false
			// Fast path: the whole line is in the read buffer.
			chunk, err := f.r.ReadSlice('\n')
			if err == nil {
				if len(chunk) > f.max+2 {
					return nil, f.errTooLarge()
				}
				line := bytes.TrimRight(chunk, "\r\n")
				if len(line) > f.max {
					return nil, f.errTooLarge()
				}
				if len(bytes.TrimSpace(line)) == 0 {
					continue
				}
				return line, nil
			}
			f.partial = true
			f.add(chunk)
			if err != bufio.ErrBufferFull {
				if line, err, done := f.finish(err); done {
					return line, err
				}
				continue
			}
		}
		for {
			chunk, err := f.r.ReadSlice('\n')
			f.add(chunk)
			if err == bufio.ErrBufferFull {
				continue
			}
			if err != nil {
				if line, err, done := f.finish(err); done {
					return line, err
				}
				break // blank line: read the next frame
			}
			line, err, done := f.finish(nil)
			if done {
				return line, err
			}
			break
		}
	}
}

func (f *FrameReader) add(chunk []byte) {
	if f.tooLarge {
		return
	}
	if len(f.buf)+len(chunk) > f.max+2 { // +2 for "\r\n"
		f.tooLarge = true
		f.buf = f.buf[:0]
		return
	}
	f.buf = append(f.buf, chunk...)
}

// finish ends the frame being accumulated after a read that returned err (nil
// when a newline was found). done=false means the frame was blank.
func (f *FrameReader) finish(err error) (line []byte, _ error, done bool) {
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		return nil, err, true // keep partial state; Next resumes
	}
	f.partial = false
	if f.tooLarge {
		return nil, f.errTooLarge(), true
	}
	if err != nil {
		if err == io.EOF && len(bytes.TrimSpace(f.buf)) > 0 {
			return nil, io.ErrUnexpectedEOF, true
		}
		return nil, err, true
	}
	line = bytes.TrimRight(f.buf, "\r\n")
	if len(line) > f.max {
		return nil, f.errTooLarge(), true
	}
	if len(bytes.TrimSpace(line)) == 0 {
		return nil, nil, false
	}
	return line, nil, true
}

func (f *FrameReader) errTooLarge() error {
	return fmt.Errorf("%w (limit %d bytes)", ErrFrameTooLarge, f.max)
}
