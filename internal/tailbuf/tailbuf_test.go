package tailbuf

import (
	"strings"
	"sync"
	"testing"
)

func TestBufferKeepsTheTail(t *testing.T) {
	for _, tc := range []struct {
		name   string
		limit  int
		writes []string
		want   string
	}{
		{"under the limit", 8, []string{"abc", "de"}, "abcde"},
		{"exactly the limit", 5, []string{"abc", "de"}, "abcde"},
		{"older bytes fall off", 4, []string{"abc", "def"}, "cdef"},
		{"one write over the limit", 3, []string{"abcdefg"}, "efg"},
		{"empty writes change nothing", 3, []string{"ab", "", "c"}, "abc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := New(tc.limit)
			total := 0
			for _, w := range tc.writes {
				n, err := b.Write([]byte(w))
				if err != nil || n != len(w) {
					t.Fatalf("Write(%q) = %d, %v", w, n, err)
				}
				total += len(w)
			}
			if got := b.String(); got != tc.want {
				t.Errorf("kept %q, want %q", got, tc.want)
			}
			if b.Total() != int64(total) {
				t.Errorf("Total %d, want %d", b.Total(), total)
			}
		})
	}
}

func TestBufferIsBoundedUnderConcurrentWrites(t *testing.T) {
	b := New(100)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				b.Write([]byte(strings.Repeat("x", 37)))
			}
		}()
	}
	wg.Wait()
	if n := len(b.Bytes()); n != 100 {
		t.Errorf("kept %d bytes, want the limit 100", n)
	}
	if b.Total() != 8*1000*37 {
		t.Errorf("Total %d, want %d", b.Total(), 8*1000*37)
	}
}
