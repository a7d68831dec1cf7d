package wire

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestSSEReader(t *testing.T) {
	in := ": ok\n\n" +
		"id: p1\ndata: \n\n" + // priming event: empty data
		"event: message\nid: 2\ndata: {\"a\":\ndata: 1}\r\n\r\n" +
		"retry: 1500\n\n" + // no data: not dispatched
		"data:x\n\n" +
		"event: ignored\n\n" +
		"data: tail-without-blank-line"
	r := NewSSEReader(strings.NewReader(in), 0)
	want := []SSEEvent{
		{ID: "p1", Data: []byte("")},
		{Type: "message", ID: "2", Data: []byte("{\"a\":\n1}")},
		{ID: "2", Data: []byte("x"), Retry: 1500 * time.Millisecond},
	}
	for i, w := range want {
		ev, err := r.Next()
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if ev.Type != w.Type || ev.ID != w.ID || string(ev.Data) != string(w.Data) || ev.Retry != w.Retry {
			t.Fatalf("event %d = %+v (data %q), want %+v", i, ev, ev.Data, w)
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("got %v, want io.EOF", err)
	}
}

func TestSSEReaderLimit(t *testing.T) {
	r := NewSSEReader(strings.NewReader("data: "+strings.Repeat("x", 100)+"\n\n"), 10)
	if _, err := r.Next(); !errors.Is(err, ErrEventTooLarge) {
		t.Fatalf("got %v, want ErrEventTooLarge", err)
	}
}

func FuzzSSEReader(f *testing.F) {
	for _, s := range []string{"data: {}\n\n", ": c\nid: 1\ndata:\n\n", "event: message\ndata: a\ndata: b\r\n\r\n", "retry: 10\n\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		const max = 64
		r := NewSSEReader(strings.NewReader(string(in)), max)
		for i := 0; i <= len(in)+1; i++ {
			ev, err := r.Next()
			if err != nil {
				return
			}
			if len(ev.Data) > max {
				t.Fatalf("event data of %d bytes over limit %d", len(ev.Data), max)
			}
		}
		t.Fatal("parser did not end")
	})
}
