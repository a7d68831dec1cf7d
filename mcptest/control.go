package mcptest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/pprof"
)

// controlMux serves the control endpoint on a loopback address that only
// the process which started the server knows:
//
//	GET  /faults        the faults in force (JSON Faults; durations in ns)
//	POST /faults        replace them
//	GET  /stats         exact counters (JSON Stats)
//	GET  /debug/pprof/  the runtime profiles
func (rt *instance) controlMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /faults", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, rt.faults.get())
	})
	mux.HandleFunc("POST /faults", func(w http.ResponseWriter, r *http.Request) {
		var f Faults
		dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			http.Error(w, "bad faults: "+err.Error(), http.StatusBadRequest)
			return
		}
		if err := f.Validate(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rt.faults.set(f)
		writeJSON(w, http.StatusOK, f)
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, rt.h.snapshot(rt.pid))
	})
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
