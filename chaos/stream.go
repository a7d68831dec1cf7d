package chaos

import (
	"context"
	"errors"
	"io"
	"time"
)

// Stream copies src to dst through toxics, in order, until src ends (nil
// is returned for io.EOF) or a toxic ends the stream: the message faults
// (Loss, Corrupt) and Slicer on a stream that is not a proxied socket, such
// as a stdio server's stdin or stdout. Each toxic acts as on one
// connection (PerConn toxics get info); Enders run at the end of src. It
// runs in the calling goroutine, reading the next chunk only after the
// last has passed, so a delaying toxic (Latency, Bandwidth) delays the
// stream as a whole, not each chunk from its own arrival; Expirer clocks
// do not run. ctx ends the copy at the next chunk, and interrupts the
// toxics, which then pass on what they hold.
func Stream(ctx context.Context, dst io.Writer, src io.Reader, info ConnInfo, toxics ...Toxic) error {
	ts := make([]Toxic, len(toxics))
	for i, t := range toxics {
		if pc, ok := t.(PerConn); ok {
			t = pc.ForConn(info)
		}
		ts[i] = t
	}
	var chain func(i int, c Chunk) error
	chain = func(i int, c Chunk) error {
		if i == len(ts) {
			_, err := dst.Write(c.Data)
			return err
		}
		return ts[i].Pipe(ctx, c, func(c Chunk) error { return chain(i+1, c) })
	}
	buf := make([]byte, 32<<10)
	for ctx.Err() == nil {
		n, err := src.Read(buf)
		if n > 0 {
			if err := chain(0, Chunk{Data: append([]byte(nil), buf[:n]...), At: time.Now()}); err != nil {
				return err
			}
		}
		if errors.Is(err, io.EOF) {
			for _, t := range ts {
				if e, ok := t.(Ender); ok {
					if err := e.End(ctx); err != nil {
						return err
					}
				}
			}
			return nil
		}
		if err != nil {
			return err
		}
	}
	return ctx.Err()
}
