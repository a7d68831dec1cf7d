package framework

import (
	"context"
)

// HTTPTarget is an MCP server speaking Streamable HTTP at URL.
type HTTPTarget struct {
	URL     string
	Options ClientOptions
}

var _ Target = (*HTTPTarget)(nil)

// String implements Target.
func (t *HTTPTarget) String() string { return t.URL }

// Connect implements Target.
func (t *HTTPTarget) Connect(ctx context.Context) (Session, error) {
	return nil, errNotImplemented
}
