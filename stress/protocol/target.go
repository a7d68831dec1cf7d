package protocol

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Transport kinds a Target can have.
const (
	TCP   = "tcp"
	HTTP  = "http"
	Stdio = "stdio"
)

// Target is a parsed target string: "tcp://host:port",
// "http://host:port/path" or "stdio:command args...".
type Target struct {
	Kind    string
	Addr    string   // tcp: host:port
	URL     string   // http: endpoint URL
	Command []string // stdio: program and arguments
	// Token is the bearer token HTTP requests carry ("" = none). When set,
	// the auth cases run.
	Token string
	// Env is extra environment for stdio processes ("KEY=value").
	Env []string
}

// ParseTarget parses s. Network targets must be loopback addresses: the
// suite sends deliberately broken traffic and never leaves the machine.
func ParseTarget(s string) (Target, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return Target{}, errors.New("protocol: empty target")
	case strings.HasPrefix(s, "stdio:"):
		args := strings.Fields(strings.TrimPrefix(s, "stdio:"))
		if len(args) == 0 {
			return Target{}, fmt.Errorf("protocol: target %q: empty stdio command", s)
		}
		return Target{Kind: Stdio, Command: args}, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return Target{}, fmt.Errorf("protocol: target %q: %w", s, err)
	}
	if err := checkLoopbackHost(u.Hostname()); err != nil {
		return Target{}, fmt.Errorf("protocol: target %q: %w", s, err)
	}
	switch u.Scheme {
	case "tcp":
		if u.Port() == "" {
			return Target{}, fmt.Errorf("protocol: target %q: no port", s)
		}
		return Target{Kind: TCP, Addr: u.Host}, nil
	case "http":
		return Target{Kind: HTTP, URL: s}, nil
	}
	return Target{}, fmt.Errorf("protocol: target %q: unknown scheme %q (want tcp, http or stdio:)", s, u.Scheme)
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

func (t Target) String() string {
	switch t.Kind {
	case TCP:
		return "tcp://" + t.Addr
	case HTTP:
		return t.URL
	case Stdio:
		return "stdio:" + strings.Join(t.Command, " ")
	}
	return "invalid target"
}
