package protocol

import (
	"fmt"
	"net"
	"net/url"

	"github.com/mcpstress/mcpstress/framework/client"
)

// Transport kinds of a target, as the case table and the report name them.
const (
	TCP   = "tcp"
	HTTP  = "http"
	Stdio = "stdio"
)

// wireTarget is what the probes take from a client.Target (made by
// client.ParseTarget, the one parser of target strings) to open their raw
// connections: the TCP address, the HTTP URL and bearer token, or the stdio
// target whose StartProcess spawns the server the way its sessions do.
type wireTarget struct {
	kind  string
	addr  string              // tcp: host:port
	url   string              // http: endpoint URL
	stdio *client.StdioTarget // stdio
	token string              // bearer token of HTTP requests ("" = none; then no auth cases)
}

// newWireTarget adapts t. Network targets must be loopback addresses: the
// suite sends deliberately broken traffic and never leaves the machine.
func newWireTarget(t client.Target) (wireTarget, error) {
	switch t := t.(type) {
	case *client.TCPTarget:
		host, _, err := net.SplitHostPort(t.Addr)
		if err == nil {
			err = checkLoopbackHost(host)
		}
		if err != nil {
			return wireTarget{}, fmt.Errorf("protocol: target %q: %w", t, err)
		}
		return wireTarget{kind: TCP, addr: t.Addr, token: t.Options.Token}, nil
	case *client.HTTPTarget:
		u, err := url.Parse(t.URL)
		if err == nil {
			err = checkLoopbackHost(u.Hostname())
		}
		if err != nil {
			return wireTarget{}, fmt.Errorf("protocol: target %q: %w", t, err)
		}
		return wireTarget{kind: HTTP, url: t.URL, token: t.Options.Token}, nil
	case *client.StdioTarget:
		if t.Command == "" {
			return wireTarget{}, fmt.Errorf("protocol: target %q: empty stdio command", t)
		}
		return wireTarget{kind: Stdio, stdio: t}, nil
	}
	return wireTarget{}, fmt.Errorf("protocol: target kind %T (want a tcp://, http:// or stdio: target from client.ParseTarget)", t)
}

func checkLoopbackHost(host string) error {
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("host %q is not a loopback address", host)
	}
	return nil
}
