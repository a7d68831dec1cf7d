package chaos

import (
	"context"
	"fmt"
)

// LimitData passes the first Bytes bytes of a direction and then closes
// the connection: a peer that dies mid-message.
type LimitData struct {
	Bytes int64 // >= 0
}

var (
	_ Toxic   = LimitData{}
	_ PerConn = LimitData{}
)

func (t LimitData) Validate() error {
	if t.Bytes < 0 {
		return fmt.Errorf("data limit %d is negative", t.Bytes)
	}
	return nil
}

func (t LimitData) String() string { return fmt.Sprintf("limit data to %d B", t.Bytes) }

// Pipe limits each chunk on its own; the proxy uses ForConn's, which
// counts across the connection.
func (t LimitData) Pipe(ctx context.Context, c Chunk, next func(Chunk) error) error {
	return (&limitConn{left: t.Bytes}).Pipe(ctx, c, next)
}

func (t LimitData) ForConn(ConnInfo) Toxic { return &limitConn{left: t.Bytes} }

type limitConn struct{ left int64 }

func (t *limitConn) Pipe(_ context.Context, c Chunk, next func(Chunk) error) error {
	if int64(len(c.Data)) > t.left {
		c.Data = c.Data[:t.left]
	}
	t.left -= int64(len(c.Data))
	if len(c.Data) > 0 {
		if err := next(c); err != nil {
			return err
		}
	}
	if t.left == 0 {
		return ErrClose
	}
	return nil
}
