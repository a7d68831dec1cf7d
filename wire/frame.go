package wire

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxFrame is the frame-size limit used when none is configured.
const DefaultMaxFrame = 4 << 20

// ErrFrameTooLarge is returned (wrapped) for a frame over the reader's limit.
// The oversized frame is discarded up to its newline, so the stream stays
// usable and memory stays bounded by the limit.
var ErrFrameTooLarge = errors.New("wire: frame exceeds size limit")

// FrameReader reads newline-delimited frames, each at most Max bytes.
type FrameReader struct {
	r   *bufio.Reader
	max int
	buf []byte
}

// NewFrameReader returns a reader of frames from r with the given limit
// (DefaultMaxFrame when max <= 0).
func NewFrameReader(r io.Reader, max int) *FrameReader {
	if max <= 0 {
		max = DefaultMaxFrame
	}
	return &FrameReader{r: bufio.NewReaderSize(r, 64<<10), max: max}
}

// Next returns the next non-empty frame without its line ending. The slice is
// valid until the next call. At the end of the stream it returns io.EOF; a
// final frame without a newline is returned with io.ErrUnexpectedEOF.
func (f *FrameReader) Next() ([]byte, error) {
	for {
		f.buf = f.buf[:0]
		tooLarge := false
		for {
			chunk, err := f.r.ReadSlice('\n')
			if !tooLarge {
				if len(f.buf)+len(chunk) > f.max+2 { // +2 for "\r\n"
					tooLarge = true
					f.buf = f.buf[:0]
				} else {
					f.buf = append(f.buf, chunk...)
				}
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			if err != nil {
				if tooLarge {
					return nil, fmt.Errorf("%w (limit %d bytes)", ErrFrameTooLarge, f.max)
				}
				if err == io.EOF && len(bytes.TrimSpace(f.buf)) > 0 {
					return nil, io.ErrUnexpectedEOF
				}
				return nil, err
			}
			break
		}
		if tooLarge {
			return nil, fmt.Errorf("%w (limit %d bytes)", ErrFrameTooLarge, f.max)
		}
		line := bytes.TrimRight(f.buf, "\r\n")
		if len(line) > f.max {
			return nil, fmt.Errorf("%w (limit %d bytes)", ErrFrameTooLarge, f.max)
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		return line, nil
	}
}
