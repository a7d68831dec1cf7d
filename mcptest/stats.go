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
	// Errors counts JSON-RPC error responses by code. Codes in the
	// JSON-RPC reserved range -32768..-32000 are always counted under
	// their own key; of the other codes (which the "error" tool lets a
	// client choose freely) only the first MaxOtherErrorCodes distinct
	// ones are, and the rest under ErrorsOther, so the map stays bounded.
	Errors map[string]int64 `json:"errors"`
	// Connections is the number of TCP connections (stdio streams, HTTP
	// connections) accepted; HTTPRequests the number of HTTP requests.
	Connections  int64 `json:"connections"`
	HTTPRequests int64 `json:"httpRequests"`
	// HTTPStatus counts HTTP responses by status code (HTTP transport).
	HTTPStatus map[string]int64 `json:"httpStatus,omitempty"`
	// Sessions is the number of legacy HTTP sessions created;
	// LiveSessions the number alive (not expired or deleted) now;
	// SessionsRefused the initialize requests refused with HTTP 503
	// because Options.MaxSessions sessions were alive (each is also
	// counted as an initialize rpc_error).
	Sessions        int64 `json:"sessions"`
	LiveSessions    int64 `json:"liveSessions"`
	SessionsRefused int64 `json:"sessionsRefused"`
	// ReadsPaused counts the times a TCP or stdio connection stopped
	// reading because it already had its maximum of slow requests in
	// flight (back-pressure on the client).
	ReadsPaused int64 `json:"readsPaused"`
	// RegistryWaiting is the number of requests held by the BlockRegistry
	// fault when the snapshot was taken.
	RegistryWaiting int64 `json:"registryWaiting"`
	// NotificationsSent counts notifications the server sent (progress).
	NotificationsSent int64 `json:"notificationsSent"`
	// InFlight is the number of requests being handled (held by a fault
	// included) when the snapshot was taken.
	InFlight int64 `json:"inFlight"`
	// FramesTooLarge counts frames refused for MaxFrame.
	FramesTooLarge int64 `json:"framesTooLarge"`
	// LeakedBytes is the memory the LeakBytesPerCall fault retains now.
	LeakedBytes int64 `json:"leakedBytes"`
	PID         int   `json:"pid"`
	// GC is the server process's garbage collection (pauses, cycles, heap).
	GC GCStats `json:"gc"`
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

// knownMethods returns the methods counted under their own name.
func knownMethods() []string {
	return []string{
		"initialize", "notifications/initialized", "ping", "server/discover",
		"tools/list", "tools/call", "resources/list", "resources/read",
		"resources/templates/list", "prompts/list", "prompts/get",
		"notifications/cancelled", "(invalid)", "(other)",
	}
}

// knownOutcomes returns the outcomes counted per method.
func knownOutcomes() []string {
	return []string{OutcomeOK, OutcomeToolError, OutcomeRPCError, OutcomeNotified, OutcomeAbandoned}
}

const methodInvalid = "(invalid)"

// MaxOtherErrorCodes bounds the distinct error codes outside the JSON-RPC
// reserved range that Stats.Errors counts under their own key.
const MaxOtherErrorCodes = 64

// ErrorsOther is the Stats.Errors key of the codes beyond
// MaxOtherErrorCodes.
const ErrorsOther = "other"

// reservedCode reports whether code is in the JSON-RPC reserved range
// (at most 769 codes, so counting each separately stays bounded).
func reservedCode(code int) bool { return code >= -32768 && code <= -32000 }

// counters are lock-free per (method, outcome) cells plus a small locked
// map for error codes.
type counters struct {
	methods    []string
	outcomes   []string
	methodIdx  map[string]int
	outcomeIdx map[string]int
	cells      []atomic.Int64
	mu         sync.Mutex
	codes      map[int]int64
	otherCodes int   // distinct codes outside the reserved range in codes
	codesOther int64 // errors whose code did not fit in codes
	statuses   map[int]int64
	conns      atomic.Int64
	httpReqs   atomic.Int64
	sessions   atomic.Int64
	live       atomic.Int64
	refused    atomic.Int64
	paused     atomic.Int64
	tooLarge   atomic.Int64
	inflight   atomic.Int64
	notes      atomic.Int64
}

func newCounters() *counters {
	c := &counters{
		methods:  knownMethods(),
		outcomes: knownOutcomes(),
		codes:    make(map[int]int64),
		statuses: make(map[int]int64),
	}
	c.methodIdx = make(map[string]int, len(c.methods))
	c.outcomeIdx = make(map[string]int, len(c.outcomes))
	c.cells = make([]atomic.Int64, len(c.methods)*len(c.outcomes))
	for i, m := range c.methods {
		c.methodIdx[m] = i
	}
	for i, o := range c.outcomes {
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
	c.cells[mi*len(c.outcomes)+c.outcomeIdx[outcome]].Add(1)
	if outcome == OutcomeRPCError {
		c.countCode(code)
	}
}

// countCode counts one error response with code, keeping the number of
// distinct codes bounded (see Stats.Errors).
func (c *counters) countCode(code int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, seen := c.codes[code]; !seen && !reservedCode(code) {
		if c.otherCodes >= MaxOtherErrorCodes {
			c.codesOther++
			return
		}
		c.otherCodes++
	}
	c.codes[code]++
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
		LiveSessions:      c.live.Load(),
		SessionsRefused:   c.refused.Load(),
		ReadsPaused:       c.paused.Load(),
		FramesTooLarge:    c.tooLarge.Load(),
		InFlight:          c.inflight.Load(),
		NotificationsSent: c.notes.Load(),
		PID:               pid,
	}
	for mi, m := range c.methods {
		for oi, o := range c.outcomes {
			if n := c.cells[mi*len(c.outcomes)+oi].Load(); n > 0 {
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
	if c.codesOther > 0 {
		s.Errors[ErrorsOther] = c.codesOther
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

// snapshot returns h's counters plus the fault state's live gauges.
func (h *handler) snapshot(pid int) Stats {
	s := h.stats.snapshot(pid)
	s.RegistryWaiting = h.faults.waiting.Load()
	s.LeakedBytes = h.faults.leakSize.Load()
	s.GC = readGCStats()
	return s
}
