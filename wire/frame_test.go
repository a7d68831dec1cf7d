package wire

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

func TestFrameReaderFrames(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		max   int
		want  []string
		final error
	}{
		{"splits lines and skips blank ones", "{\"a\":1}\n\n  \r\n{\"b\":2}\r\n", 0, []string{`{"a":1}`, `{"b":2}`}, io.EOF},
		{"reports a final frame without newline", "{\"a\":1}\n{\"b\"", 0, []string{`{"a":1}`}, io.ErrUnexpectedEOF},
		{"discards an oversized frame and keeps going", "0123456789\nabc\n", 5, []string{"!", "abc"}, io.EOF},
		{"reads frames longer than the read buffer", strings.Repeat("x", 100) + "\n", 200, []string{strings.Repeat("x", 100)}, io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fr := NewFrameReaderSize(strings.NewReader(tt.in), tt.max, 16)
			for _, w := range tt.want {
				got, err := fr.Next()
				if w == "!" {
					if !errors.Is(err, ErrFrameTooLarge) {
						t.Fatalf("got %q, %v; want ErrFrameTooLarge", got, err)
					}
					continue
				}
				if err != nil || string(got) != w {
					t.Fatalf("got %q, %v; want %q", got, err, w)
				}
			}
			if _, err := fr.Next(); !errors.Is(err, tt.final) {
				t.Fatalf("final error %v, want %v", err, tt.final)
			}
		})
	}
}

// deadlineReader returns its chunks one per Read, with a deadline error
// between them, like a net.Conn whose read deadline fires mid-frame.
type deadlineReader struct{ chunks []string }

func (d *deadlineReader) Read(p []byte) (int, error) {
	if len(d.chunks) == 0 {
		return 0, io.EOF
	}
	c := d.chunks[0]
	if c == "" {
		d.chunks = d.chunks[1:]
		return 0, os.ErrDeadlineExceeded
	}
	n := copy(p, c)
	d.chunks[0] = c[n:]
	if n == len(c) {
		d.chunks = d.chunks[1:]
	}
	return n, nil
}

func TestFrameReaderResumesAfterDeadline(t *testing.T) {
	r := &deadlineReader{chunks: []string{`{"id":1,`, "", `"result":{}}` + "\n" + `{"id":`, "", "2}\n"}}
	fr := NewFrameReaderSize(r, 0, 16)
	var got []string
	deadlines := 0
	for {
		f, err := fr.Next()
		if errors.Is(err, os.ErrDeadlineExceeded) {
			deadlines++
			continue
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(f))
	}
	want := []string{`{"id":1,"result":{}}`, `{"id":2}`}
	if deadlines != 2 || len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("got %q after %d deadlines, want %q after 2", got, deadlines, want)
	}
}

func FuzzFrameReader(f *testing.F) {
	for _, s := range []string{"{\"a\":1}\n", "x\r\n\n\ny", strings.Repeat("z", 70) + "\nq\n", ""} {
		f.Add([]byte(s), 32)
	}
	f.Fuzz(func(t *testing.T, in []byte, max int) {
		if max <= 0 || max > 1<<16 {
			max = 32
		}
		fr := NewFrameReaderSize(strings.NewReader(string(in)), max, 16)
		for i := 0; i <= len(in)+1; i++ {
			fr2, err := fr.Next()
			if err != nil {
				if errors.Is(err, ErrFrameTooLarge) {
					continue
				}
				return
			}
			if len(fr2) > max || len(fr2) == 0 {
				t.Fatalf("frame of %d bytes with limit %d", len(fr2), max)
			}
		}
		t.Fatal("reader did not end")
	})
}
