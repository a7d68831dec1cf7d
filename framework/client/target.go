package client

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// ErrEmbeddedTarget is returned by ParseTarget for the empty string: the
// embedded reference server is started and resolved by package stress (with
// mcptest.StartServer), which framework does not import.
var ErrEmbeddedTarget = errors.New("empty target means the embedded reference server, which package stress resolves (mcptest.StartServer); framework needs a tcp://, http(s):// or stdio: target")

// ParseTarget turns a target string into a Target using opts for its
// sessions:
//
//	tcp://127.0.0.1:9001          newline-delimited JSON-RPC over TCP
//	http://127.0.0.1:8080/mcp     Streamable HTTP (https:// too)
//	stdio:node server.js --flag   a spawned process per session
//	rawecho://127.0.0.1:9002      not MCP: a newline echo server, the
//	                              machine's ceiling (RawEchoTarget)
//
// Every problem with the string and with opts is reported at once, each
// naming its field.
func ParseTarget(s string, opts Options) (Target, error) {
	var errs []error
	if err := opts.Validate(); err != nil {
		errs = append(errs, err)
	}
	t, err := parseTargetString(s, opts.withDefaults())
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("target %q: %w", s, errors.Join(errs...))
	}
	return t, nil
}

func parseTargetString(s string, opts Options) (Target, error) {
	switch {
	case strings.TrimSpace(s) == "":
		return nil, ErrEmbeddedTarget
	case strings.HasPrefix(s, "stdio:"):
		args, err := splitCommand(strings.TrimPrefix(s, "stdio:"))
		if err != nil {
			return nil, fmt.Errorf("stdio command: %w", err)
		}
		if len(args) == 0 {
			return nil, errors.New("stdio command is empty (want stdio:<command> [args...])")
		}
		return &StdioTarget{Command: args[0], Args: args[1:], Options: opts}, nil
	}
	if !strings.Contains(s, "://") {
		return nil, fmt.Errorf("scheme missing in %q (want tcp://host:port, http(s)://host/path or stdio:command)", s)
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("not a URL: %w", err)
	}
	var errs []error
	switch u.Scheme {
	case "tcp", "rawecho":
		host, port, err := net.SplitHostPort(u.Host)
		if err != nil {
			errs = append(errs, fmt.Errorf("tcp address %q: want host:port", u.Host))
		} else {
			if host == "" {
				errs = append(errs, errors.New("tcp host is empty"))
			}
			if err := checkPort(port); err != nil {
				errs = append(errs, err)
			}
		}
		if u.Path != "" || u.RawQuery != "" || u.User != nil {
			errs = append(errs, fmt.Errorf("tcp target takes no path, query or user info (got %q)", u.Path+u.RawQuery))
		}
		if len(errs) > 0 {
			return nil, errors.Join(errs...)
		}
		if u.Scheme == "rawecho" {
			return &RawEchoTarget{Addr: u.Host, Options: opts}, nil
		}
		return &TCPTarget{Addr: u.Host, Options: opts}, nil
	case "http", "https":
		if u.Hostname() == "" {
			errs = append(errs, errors.New("http host is empty"))
		}
		if p := u.Port(); p != "" {
			if err := checkPort(p); err != nil {
				errs = append(errs, err)
			}
		}
		if u.User != nil {
			errs = append(errs, errors.New("http target must not carry user info (use Options.Token)"))
		}
		if u.Fragment != "" {
			errs = append(errs, errors.New("http target must not have a #fragment"))
		}
		if len(errs) > 0 {
			return nil, errors.Join(errs...)
		}
		return &HTTPTarget{URL: u.String(), Options: opts}, nil
	case "":
		return nil, fmt.Errorf("scheme missing (want tcp://, http://, https:// or stdio:)")
	default:
		return nil, fmt.Errorf("scheme %q is not one of tcp://, http://, https:// or stdio:", u.Scheme)
	}
}

func checkPort(p string) error {
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("port %q is not a number in 1..65535", p)
	}
	return nil
}

// splitCommand splits a command line on white space, honouring single and
// double quotes and backslash escapes (no variables, no globbing).
func splitCommand(s string) ([]string, error) {
	var args []string
	var cur strings.Builder
	inArg := false
	var quote rune
	escaped := false
	for _, r := range s {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case r == '\\' && quote != '\'':
			escaped, inArg = true, true
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '"' || r == '\'':
			quote, inArg = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inArg {
				args = append(args, cur.String())
				cur.Reset()
				inArg = false
			}
		default:
			cur.WriteRune(r)
			inArg = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated %c quote", quote)
	}
	if escaped {
		return nil, errors.New("trailing backslash")
	}
	if inArg {
		args = append(args, cur.String())
	}
	return args, nil
}
