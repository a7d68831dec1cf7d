package client

import (
	"context"
	"encoding/json"
	"time"
)

// ClientSession is what the lean client's sessions offer beyond Session: the
// negotiated generation, the server's identity, counters, and the means to
// send notifications. Every session a target of this package returns
// implements it.
type ClientSession interface {
	Session
	// Protocol is the negotiated protocol version.
	Protocol() string
	// ServerInfo is the server's Implementation object (raw JSON; nil if the
	// server did not say).
	ServerInfo() json.RawMessage
	// Reconnects counts how often the session re-established its
	// connection (and handshake) after it broke.
	Reconnects() int64
	// Notify sends a notification (adding the 2026 _meta when modern).
	Notify(ctx context.Context, method string, params json.RawMessage) error
	// Stats reports what the session saw besides its own answers.
	Stats() SessionStats
}

// ReconnectCounter is a session that counts its reconnects: attempts
// (failed ones included) and successes. The engine sums them into
// Result.Reconnects, so a chaos run can say how many sessions came back.
type ReconnectCounter interface {
	Reconnects() int64
	ReconnectAttempts() int64
}

var (
	_ ReconnectCounter = (*StreamSession)(nil)
	_ ReconnectCounter = (*HTTPSession)(nil)
)

// SessionStats counts what a session received besides answers to its own
// requests.
type SessionStats struct {
	Notifications  int64 // notifications from the server
	ServerRequests int64 // server→client requests (answered: ping, or -32601)
	Strays         int64 // answers for no pending request (late after a timeout, or an unknown id)
	InvalidFrames  int64 // frames that were not JSON, or over MaxFrame
}

// trySlot takes a free pipeline slot without waiting; false if none (or
// ctx has ended: then acquireSlot says why).
func trySlot(ctx context.Context, sem chan struct{}) bool {
	if ctx.Err() != nil {
		return false
	}
	select {
	case sem <- struct{}{}:
		return true
	default:
		return false
	}
}

// waitSlot waits for a pipeline slot until ctx ends or deadline passes; it
// returns the outcome of a call that got none.
func waitSlot(ctx context.Context, sem chan struct{}, deadline time.Time) (Response, bool) {
	if err := ctx.Err(); err != nil {
		return Response{Outcome: Cancelled, Err: err}, false
	}
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case sem <- struct{}{}:
		return Response{}, true
	case <-ctx.Done():
		return Response{Outcome: Cancelled, Err: ctx.Err()}, false
	case <-t.C:
		return Response{Outcome: Timeout, Err: ErrTimeout}, false
	}
}

// acquireSlot takes one of a session's pipeline slots (a send on sem),
// waiting for a free one until ctx ends; the error is ctx's when it ended
// first. The caller frees the slot with a receive from sem.
func acquireSlot(ctx context.Context, sem chan struct{}) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case sem <- struct{}{}:
		return nil
	default:
	}
	select {
	case sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
