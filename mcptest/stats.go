package mcptest

import (
	"strconv"
	"sync"
	"sync/atomic"
)

// Outcomes counted per method, named as the framework's outcomes.
const (
	OutcomeOK        = "ok"         // a result without isError
	OutcomeToolError = "tool_error" // a result with isError:true
	OutcomeRPCError  = "rpc_error"  // a JSON-RPC error response
	OutcomeNotified  = "notification"
	OutcomeAbandoned = "abandoned" // the request ended (connection closed) before an answer
)

// Stats are the server's exact counters, as GET /stats returns them.
type Stats struct {
	// Requests counts requests (and notifications) by method, then by
	// outcome. Frames that could not be read as a request (and HTTP
	// bodies refused before routing) are counted under "(invalid)",
	// requests for methods the server does not know under "(other)".
	Requests map[string]map[string]int64 `json:"requests"`
	// Errors counts JSON-RPC error responses by code.
	Errors map[string]int64 `json:"errors"`
	// Connections is the number of TCP connections (stdio streams, HTTP
	// connections) accepted; HTTPRequests the number of HTTP requests.
	Connections  int64 `json:"connections"`
	HTTPRequests int64 `json:"httpRequests"`
	// HTTPStatus counts HTTP responses by status code (HTTP transport).
	HTTPStatus map[string]int64 `json:"httpStatus,omitempty"`
	// Sessions is the number of legacy HTTP sessions created.
	Sessions int64 `json:"sessions"`
	// NotificationsSent counts notifications the server sent (progress).
	NotificationsSent int64 `json:"notificationsSent"`
	// InFlight is the number of requests being handled (held by a fault
	// included) when the snapshot was taken.
	InFlight int64 `json:"inFlight"`
	// FramesTooLarge counts frames refused for MaxFrame.
	FramesTooLarge int64 `json:"framesTooLarge"`
	PID            int   `json:"pid"`
}

// Total returns the number of requests counted for method with outcome
// ("" for every outcome).
func (s Stats) Total(method, outcome string) int64 {
	var n int64
	for o, c := range s.Requests[method] {
		if outcome == "" || o == outcome {
			n += c
		}
	}
	return n
}

var knownMethods = []string{
	"initialize", "notifications/initialized", "ping", "server/discover",
	"tools/list", "tools/call", "resources/list", "resources/read",
	"resources/templates/list", "prompts/list", "prompts/get",
	"notifications/cancelled", "(invalid)", "(other)",
}

var knownOutcomes = []string{OutcomeOK, OutcomeToolError, OutcomeRPCError, OutcomeNotified, OutcomeAbandoned}

const methodInvalid = "(invalid)"

// counters are lock-free per (method, outcome) cells plus a small locked
// map for error codes.
type counters struct {
	methodIdx  map[string]int
	outcomeIdx map[string]int
	cells      []atomic.Int64
	mu         sync.Mutex
	codes      map[int]int64
	statuses   map[int]int64
	conns      atomic.Int64
	httpReqs   atomic.Int64
	sessions   atomic.Int64
	tooLarge   atomic.Int64
	inflight   atomic.Int64
	notes      atomic.Int64
}

func newCounters() *counters {
	c := &counters{
		methodIdx:  make(map[string]int, len(knownMethods)),
		outcomeIdx: make(map[string]int, len(knownOutcomes)),
		cells:      make([]atomic.Int64, len(knownMethods)*len(knownOutcomes)),
		codes:      make(map[int]int64),
		statuses:   make(map[int]int64),
	}
	for i, m := range knownMethods {
		c.methodIdx[m] = i
	}
	for i, o := range knownOutcomes {
		c.outcomeIdx[o] = i
	}
	return c
}

// count records one request of method that ended with outcome; code is
// the JSON-RPC error code for OutcomeRPCError.
func (c *counters) count(method, outcome string, code int) {
	mi, ok := c.methodIdx[method]
	if !ok {
		mi = c.methodIdx["(other)"]
	}
	c.cells[mi*len(knownOutcomes)+c.outcomeIdx[outcome]].Add(1)
	if outcome == OutcomeRPCError {
		c.mu.Lock()
		c.codes[code]++
		c.mu.Unlock()
	}
}

func (c *counters) countStatus(status int) {
	c.mu.Lock()
	c.statuses[status]++
	c.mu.Unlock()
}

func (c *counters) snapshot(pid int) Stats {
	s := Stats{
		Requests:          map[string]map[string]int64{},
		Errors:            map[string]int64{},
		Connections:       c.conns.Load(),
		HTTPRequests:      c.httpReqs.Load(),
		Sessions:          c.sessions.Load(),
		FramesTooLarge:    c.tooLarge.Load(),
		InFlight:          c.inflight.Load(),
		NotificationsSent: c.notes.Load(),
		PID:               pid,
	}
	for mi, m := range knownMethods {
		for oi, o := range knownOutcomes {
			if n := c.cells[mi*len(knownOutcomes)+oi].Load(); n > 0 {
				if s.Requests[m] == nil {
					s.Requests[m] = map[string]int64{}
				}
				s.Requests[m][o] = n
			}
		}
	}
	c.mu.Lock()
	for code, n := range c.codes {
		s.Errors[strconv.Itoa(code)] = n
	}
	if len(c.statuses) > 0 {
		s.HTTPStatus = make(map[string]int64, len(c.statuses))
		for st, n := range c.statuses {
			s.HTTPStatus[strconv.Itoa(st)] = n
		}
	}
	c.mu.Unlock()
	return s
}
