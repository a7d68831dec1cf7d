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

## stress: one suite package at a time: each loads both cores, and two at once would measure each other. A
## package that failed while the machine was disturbed (its runs warned of hypervisor steal or kernel drops)
## runs once more, said in the log; at most two such reruns (scripts/stress.sh)
stress:
	GO=$(GO) bash scripts/stress.sh $(MODE)

## race: the packages with concurrency under the race detector
race:
	$(GO) test -count=1 -race -timeout 20m ./framework/... ./mcptest/... ./wire/... ./report/... ./adapter/... ./stress/protocol/ ./stress/ ./chaos/... ./judge/ ./verdict/

## bench: the wire, engine and chaos-proxy benchmarks; each system benchmark measures its raw ceiling in the same
## run and reports the ratio (b.ReportMetric). Servers run in their own processes. Output: bench.txt
BENCH_WALL ?= 5s
bench:
	MCPSTRESS_BENCH_WALL=$(BENCH_WALL) $(GO) test -run '^$$' -bench 'RawCeilingVsMCP|ClientCPUPerCall|IdleSessionMemory|SessionEstablishment' -benchtime 1x -count 1 -timeout 30m ./framework/client | tee bench.txt
	MCPSTRESS_BENCH_WALL=$(BENCH_WALL) $(GO) test -run '^$$' -bench 'EngineVsRaw|HTTPGeneratorCPU' -benchtime 1x -count 1 -timeout 30m ./framework | tee -a bench.txt
	$(GO) test -run '^$$' -bench 'EchoVersusRawCeiling' -benchtime 150000x -count 1 ./mcptest | tee -a bench.txt
	$(GO) test -run '^$$' -bench 'ConnectionMemory' -benchtime 1x -count 1 ./mcptest | tee -a bench.txt
	$(GO) test -run '^$$' -bench 'Record$$|Rotate|RetainedPerInterval' -count 1 ./framework | tee -a bench.txt
	$(GO) test -run '^$$' -bench 'EncodeAndClassify' -count 1 ./framework/client | tee -a bench.txt
	$(GO) test -run '^$$' -bench 'HandleEcho' -count 1 ./mcptest | tee -a bench.txt
	$(GO) test -run '^$$' -bench 'Scan' -count 1 ./wire | tee -a bench.txt
	$(GO) test -run '^$$' -bench 'ProxyCost' -benchtime 1x -count 1 ./chaos | tee -a bench.txt

## demo: every stress suite against the embedded reference server (quick mode by default, a few
## minutes; DEMO_MODE=demo for the seed's 10-minute runs). Prints only the package verdicts and the
## report directories while it runs (the full log is reports/demo.log), then one table across the
## suites (cmd/mcpstress-report) and where each report.html is; fails when a suite fails.
## The suites are the packages under stress/ (new suite directories are picked up); the package
## stress itself holds only the harness's unit tests, which `make unit` runs.
DEMO_MODE ?= quick
DEMO_SUITES = $(shell $(GO) list -tags stress ./stress/... | grep -v '/stress$$')
demo:
	@test -n "$(strip $(DEMO_SUITES))" || { echo "demo: no suite package under stress/"; exit 1; }
	@mkdir -p reports
	@echo "suites: $(patsubst github.com/mcpstress/mcpstress/%,%,$(DEMO_SUITES)) (mode $(DEMO_MODE))"
	@STRESS_TEST_MODE=$(DEMO_MODE) $(GO) test -count=1 -p 1 -tags stress -timeout 120m -v $(DEMO_SUITES) 2>&1 | tee reports/demo.log | grep -E '^(FAIL|ok)[[:space:]]|^reports written to '; \
	status=$${PIPESTATUS[0]}; \
	echo; echo "full log: reports/demo.log"; \
	mapfile -t dirs < <(sed -n 's/^reports written to //p' reports/demo.log); \
	if [ $${#dirs[@]} -eq 0 ]; then echo "no suite wrote a report"; exit $$(( status ? status : 1 )); fi; \
	echo; $(GO) run ./cmd/mcpstress-report table "$${dirs[@]}" 2>reports/demo-table.err; table=$$?; \
	grep -v '^exit status [0-9]*$$' reports/demo-table.err >&2; rm -f reports/demo-table.err; \
	if [ $$status -eq 0 ] && [ $$table -ne 0 ]; then status=$$table; fi; \
	exit $$status

fuzz:
	for f in FuzzFrameReader FuzzScan FuzzValid FuzzSSEReader; do $(GO) test -run '^$$' -fuzz $$f -fuzztime 20s ./wire || exit 1; done
	$(GO) test -run '^$$' -fuzz FuzzStreamConnAnswers -fuzztime 20s ./framework/client
	$(GO) test -run '^$$' -fuzz FuzzClientAgainstGarbage -fuzztime 20s ./framework/client
	$(GO) test -run '^$$' -fuzz FuzzHandle -fuzztime 30s ./mcptest
