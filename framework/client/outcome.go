package client

import "fmt"

// Outcome classifies how one request ended. Every request ends in exactly one
// outcome, so sent = ok + tool errors + rpc errors + transport errors +
// timeouts + dropped + cancelled holds for every run.
type Outcome uint8

const (
	// OK: a result arrived and it is not a tool error.
	OK Outcome = iota
	// ToolError: a tools/call result with "isError": true.
	ToolError
	// RPCError: a JSON-RPC error response (the code is kept in Response.Code).
	RPCError
	// TransportError: the connection failed, the peer sent bytes that are not
	// a valid answer, or an HTTP status that carries no JSON-RPC answer.
	TransportError
	// Timeout: no answer within the per-request deadline.
	Timeout
	// Dropped: the executor had no free session slot at the intended send
	// time, so the request was never sent (k6's dropped iterations).
	Dropped
	// Cancelled: the run was stopped (context cancelled) while the request
	// was in flight or waiting.
	Cancelled

	numOutcomes
)

// NumOutcomes is the number of outcome classes, for arrays indexed by Outcome.
const NumOutcomes = int(numOutcomes)

var outcomeNames = [...]string{"ok", "tool_error", "rpc_error", "transport_error", "timeout", "dropped", "cancelled"}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return fmt.Sprintf("outcome(%d)", uint8(o))
}

// Outcomes lists every outcome class in order.
func Outcomes() []Outcome {
	out := make([]Outcome, NumOutcomes)
	for i := range out {
		out[i] = Outcome(i)
	}
	return out
}
