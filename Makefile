# mcpstress: the README's two commands are `make demo` and `make test`.
GO ?= go
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
MODE ?= quick

.PHONY: test unit stress race bench demo fuzz vet

## test: vet, unit tests, the race detector on the concurrent packages, then every stress suite in quick mode (what CI runs)
test: vet unit race stress

vet:
	$(GO) vet ./...
	$(GO) vet -tags stress ./...

unit:
	$(GO) test -count=1 -timeout 15m ./...

stress:
	STRESS_TEST_MODE=$(MODE) $(GO) test -count=1 -tags stress -timeout 30m ./stress/...

## race: the packages with concurrency under the race detector
race:
	$(GO) test -count=1 -race -timeout 20m ./framework/... ./mcptest/... ./wire/... ./report/... ./adapter/... ./stress/protocol/ ./stress/ ./chaos/...

## bench: the wire and engine benchmarks; each system benchmark measures its raw ceiling in the same
## run and reports the ratio (b.ReportMetric). Servers run in their own processes. Output: bench.txt
BENCH_WALL ?= 5s
bench:
	MCPSTRESS_BENCH_WALL=$(BENCH_WALL) $(GO) test -run '^$$' -bench 'RawCeilingVsMCP|ClientCPUPerCall|IdleSessionMemory|SessionEstablishment|EngineVsRaw' -benchtime 1x -count 1 -timeout 30m ./framework | tee bench.txt
	$(GO) test -run '^$$' -bench 'EchoVersusRawCeiling' -benchtime 150000x -count 1 ./mcptest | tee -a bench.txt
	$(GO) test -run '^$$' -bench 'ConnectionMemory' -benchtime 1x -count 1 ./mcptest | tee -a bench.txt
	$(GO) test -run '^$$' -bench 'Record$$|Rotate|EncodeAndClassify' -count 1 ./framework | tee -a bench.txt
	$(GO) test -run '^$$' -bench 'HandleEcho' -count 1 ./mcptest | tee -a bench.txt
	$(GO) test -run '^$$' -bench 'Scan' -count 1 ./wire | tee -a bench.txt

## demo: every stress suite against the embedded reference server (quick mode by default, a few
## minutes; DEMO_MODE=demo for the seed's 10-minute runs); fails when a suite fails, and ends by
## listing where each suite's reports (report.html, report.json, report.txt, ...) were written
DEMO_MODE ?= quick
demo:
	@mkdir -p reports
	STRESS_TEST_MODE=$(DEMO_MODE) $(GO) test -count=1 -tags stress -timeout 60m -v ./stress/... 2>&1 | tee reports/demo.log | grep -E '^(--- (PASS|FAIL|SKIP)|FAIL|ok |reports written)'
	@echo; echo "full log: reports/demo.log"; grep -h '^reports written to' reports/demo.log | sed 's|^reports written to \(.*\)$$|HTML report: \1/report.html|'

fuzz:
	for f in FuzzFrameReader FuzzScan FuzzValid FuzzSSEReader; do $(GO) test -run '^$$' -fuzz $$f -fuzztime 20s ./wire || exit 1; done
	$(GO) test -run '^$$' -fuzz FuzzStreamConnAnswers -fuzztime 20s ./framework
	$(GO) test -run '^$$' -fuzz FuzzClientAgainstGarbage -fuzztime 20s ./framework
	$(GO) test -run '^$$' -fuzz FuzzHandle -fuzztime 30s ./mcptest
