package framework

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/mcpstress/mcpstress/framework/client"
)

// MCP methods the workload can send.
const (
	MethodToolsCall     = "tools/call"
	MethodToolsList     = "tools/list"
	MethodResourcesRead = "resources/read"
	MethodPromptsGet    = "prompts/get"
	MethodPing          = "ping"
)

// Operation is one kind of request in a workload mix. Name is the label used
// in per-operation metrics (defaults to the method, plus "/target").
type Operation struct {
	Label  string `json:"label,omitempty"`
	Weight int    `json:"weight"`
	Method string `json:"method"`
	// Target is the tool name (tools/call), resource URI (resources/read) or
	// prompt name (prompts/get); empty for tools/list and ping.
	Target string `json:"target,omitempty"`
	// Arguments are the tool or prompt arguments, a JSON object.
	Arguments json.RawMessage `json:"arguments,omitempty"`
}

// CallTool is a tools/call of tool with args (any JSON-marshalable value; nil
// for none), weight 1.
func CallTool(tool string, args any) Operation {
	return Operation{Weight: 1, Method: MethodToolsCall, Target: tool, Arguments: mustJSON(args)}
}

// ReadResource is a resources/read of uri, weight 1.
func ReadResource(uri string) Operation {
	return Operation{Weight: 1, Method: MethodResourcesRead, Target: uri}
}

// GetPrompt is a prompts/get of prompt with args, weight 1.
func GetPrompt(prompt string, args any) Operation {
	return Operation{Weight: 1, Method: MethodPromptsGet, Target: prompt, Arguments: mustJSON(args)}
}

// ListTools is a tools/list, weight 1.
func ListTools() Operation { return Operation{Weight: 1, Method: MethodToolsList} }

// Ping is a ping, weight 1. The stateless generation (2026-07-28) has no
// ping: a server speaking it answers -32601, which counts as an RPC error;
// use tools/list or a cheap tool there.
func Ping() Operation { return Operation{Weight: 1, Method: MethodPing} }

// WithWeight returns o with weight w.
func (o Operation) WithWeight(w int) Operation { o.Weight = w; return o }

func mustJSON(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	if raw, ok := v.(json.RawMessage); ok {
		return raw
	}
	b, err := json.Marshal(v)
	if err != nil {
		// Reported by Validate as invalid arguments instead of panicking.
		return json.RawMessage(fmt.Sprintf("!%v", err))
	}
	return b
}

// Name is the operation's metric label.
func (o Operation) Name() string {
	if o.Label != "" {
		return o.Label
	}
	if o.Target != "" {
		return o.Method + "/" + o.Target
	}
	return o.Method
}

// Validate reports every problem with the operation.
func (o Operation) Validate() error {
	var errs []error
	if o.Weight <= 0 {
		errs = append(errs, fmt.Errorf("operation %q: weight must be > 0, got %d", o.Name(), o.Weight))
	}
	switch o.Method {
	case MethodToolsCall, MethodResourcesRead, MethodPromptsGet:
		if o.Target == "" {
			errs = append(errs, fmt.Errorf("operation %q: %s needs a target (tool, URI or prompt name)", o.Name(), o.Method))
		}
	case MethodToolsList, MethodPing:
		if len(o.Arguments) > 0 {
			errs = append(errs, fmt.Errorf("operation %q: %s takes no arguments", o.Name(), o.Method))
		}
	case "":
		errs = append(errs, errors.New("operation: method is required"))
	default:
		errs = append(errs, fmt.Errorf("operation %q: unsupported method %q (want tools/call, tools/list, resources/read, prompts/get or ping)", o.Name(), o.Method))
	}
	if len(o.Arguments) > 0 {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(o.Arguments, &obj); err != nil {
			errs = append(errs, fmt.Errorf("operation %q: arguments must be a JSON object: %v", o.Name(), err))
		}
	}
	return errors.Join(errs...)
}

// Request builds the pre-encoded request once.
func (o Operation) Request() client.Request {
	var params any
	switch o.Method {
	case MethodToolsCall, MethodPromptsGet:
		p := map[string]any{"name": o.Target}
		if len(o.Arguments) > 0 {
			p["arguments"] = o.Arguments
		}
		params = p
	case MethodResourcesRead:
		params = map[string]any{"uri": o.Target}
	}
	req := client.Request{Method: o.Method, Name: o.Target}
	if params != nil {
		req.Params, _ = json.Marshal(params) // maps of strings and raw JSON always encode
	}
	return req
}

// Workload is a weighted mix of operations. The mix is deterministic: hit n
// gets operation Pick(n) from a smooth weighted round-robin cycle, so a run
// of any length is as close to the weights as whole requests allow and every
// run sends the same sequence (no randomness to seed or replay).
type Workload struct {
	Ops []Operation `json:"ops"`
}

// maxCycle bounds the pick table (the sum of weights).
const maxCycle = 1 << 16

// Validate reports every problem with the mix.
func (w Workload) Validate() error {
	var errs []error
	if len(w.Ops) == 0 {
		errs = append(errs, errors.New("workload: at least one operation is required"))
	}
	seen := map[string]bool{}
	sum := 0
	for _, o := range w.Ops {
		if err := o.Validate(); err != nil {
			errs = append(errs, err)
		}
		if seen[o.Name()] {
			errs = append(errs, fmt.Errorf("workload: operation name %q used twice (set Label)", o.Name()))
		}
		seen[o.Name()] = true
		if o.Weight > 0 {
			sum += o.Weight
		}
	}
	if sum > maxCycle {
		errs = append(errs, fmt.Errorf("workload: weights sum to %d, at most %d (scale them down)", sum, maxCycle))
	}
	return errors.Join(errs...)
}

// compiledWorkload is a validated mix ready for the hot path.
type compiledWorkload struct {
	names []string
	reqs  []client.Request
	cycle []uint16 // op index for each position of the weighted cycle
}

func compileWorkload(w Workload) (*compiledWorkload, error) {
	if err := w.Validate(); err != nil {
		return nil, err
	}
	c := &compiledWorkload{}
	total := 0
	for _, o := range w.Ops {
		c.names = append(c.names, o.Name())
		c.reqs = append(c.reqs, o.Request())
		total += o.Weight
	}
	// Smooth weighted round-robin (as nginx): spreads each operation evenly
	// through the cycle instead of in runs.
	current := make([]int, len(w.Ops))
	c.cycle = make([]uint16, total)
	for i := range c.cycle {
		best := 0
		for j, o := range w.Ops {
			current[j] += o.Weight
			if current[j] > current[best] {
				best = j
			}
		}
		current[best] -= total
		c.cycle[i] = uint16(best)
	}
	return c, nil
}

// pick returns the operation index for hit n.
func (c *compiledWorkload) pick(n uint64) int {
	return int(c.cycle[n%uint64(len(c.cycle))])
}
