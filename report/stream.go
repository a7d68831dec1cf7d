package report

import (
	"context"
	"encoding/json"
	"io"
)

// StreamEvents writes the subscription's events to w as JSON lines
// (NDJSON, one Event per line, the same value types as report.json) until
// the subscription is closed or ctx is done. It is the live-progress view of
// a run, e.g. for `tail -f` or a dashboard; it returns the first write
// error, or ctx's error if ctx ended the stream.
func StreamEvents(ctx context.Context, w io.Writer, sub *Subscription) error {
	enc := json.NewEncoder(w)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case e, ok := <-sub.C:
			if !ok {
				return nil
			}
			if err := enc.Encode(e); err != nil {
				return err
			}
		}
	}
}
