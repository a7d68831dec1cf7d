# mcpstress: the README's two commands are `make demo` and `make test`.
GO ?= go
MODE ?= quick
PKGS_UNIT := $(shell $(GO) list ./... 2>/dev/null)

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

## bench: the wire and engine benchmarks (ratios to a raw ceiling measured in the same run)
bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x -count 1 -timeout 30m ./framework/... ./mcptest/...

## demo: the baseline suite (and later every suite) in demo-short mode against the embedded server
demo:
	STRESS_TEST_MODE=$(or $(DEMO_MODE),quick) $(GO) test -count=1 -tags stress -timeout 60m -v ./stress/... | tee /dev/stderr | grep -E 'reports? (written|in)' || true

fuzz:
	for f in FuzzFrameReader FuzzScan FuzzSSEReader; do $(GO) test -run '^$$' -fuzz $$f -fuzztime 20s ./wire || exit 1; done
	$(GO) test -run '^$$' -fuzz FuzzStreamConnAnswers -fuzztime 20s ./framework
	$(GO) test -run '^$$' -fuzz FuzzHandle -fuzztime 30s ./mcptest
