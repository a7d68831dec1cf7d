// Package regression decides, with statistics that can be trusted, whether a
// change made a server slower. It is a leaf: the standard library, gonum and
// (for the histogram helpers) hdrhistogram-go; plain []float64 in, plain
// values out; no other package of this module.
//
// # Two questions, two detectors
//
// A/B comparison ("are these runs different from those?") is Compare, modelled
// on benchstat. Every Metric declares its Direction, so an improvement is
// reported as an improvement and never as a regression (the seed's detector was
// direction-blind). One value per run and metric: the run is the unit of
// replication, never the request. Per metric, by its Assumption:
//
//   - AssumeNothing (default): median with a distribution-free binomial
//     order-statistic CI (MedianCI), a two-sided Mann–Whitney U test
//     (MannWhitney; exact and tie-aware up to 50 per side without ties or 25
//     with ties, else normal with tie and continuity corrections), and the
//     ratio new/old as exp of the Hodges–Lehmann shift of the logs with the
//     Moses CI (RatioCI). Config.BootstrapResamples adds a seeded percentile
//     bootstrap CI (BootstrapQuantileRatioCI; seed = SeedFor(metric name)).
//   - AssumeNormal: mean, t CI and Welch's t-test (Welch).
//   - AssumeExact: any difference between constant sides counts; varying
//     values are warned about and tested with Mann–Whitney.
//
// The p-values of one report are adjusted together (Holm by default,
// Benjamini–Hochberg optional: Adjust), and a metric is NoChange ("~") when its
// adjusted q exceeds Alpha. If the smallest p the exact test could reach for
// the sample sizes is above the strictest corrected threshold, the verdict is
// Inconclusive with the reason ("need >= 7 runs per side ... Holm over 50
// metrics"): benchstat's sample floor, never a silent pass. A significant
// change smaller than MinEffect (2%) is marked BelowMinEffect and does not fail
// a gate (Comparison.Flagged).
//
// Severity keeps the seed's tiers, LOW/MEDIUM/HIGH/CRITICAL at 10/20/30/50%,
// but grades the conservative end of the change's confidence interval
// (WorseCI.Lo), not a point estimate: "HIGH" means the data show at least 30%.
// The seed's z tiers (2, 2.5, 3, 4) are kept for compatibility as ZSeverity,
// graded on the same conservative bound in units of the baseline's robust sd.
// Significance is reported separately as p and q; it is never turned into a
// "confidence" from z.
//
// History ("is this new value out of line with the series?") is Gate: a
// one-sided Student-t prediction interval at 0.99 (fail) and 0.95 (suspect)
// over the newest 64 points, cut at the last change point, with at least 10
// points or Inconclusive. ChangePoints finds level shifts with the
// Hunter/Apache Otava split–merge scheme: E-divisive means in overlapping
// windows (50, step 25), a relaxed t-test for candidates, then merging the
// weakest until every change point has p <= 0.001; deterministic (no
// permutations), minimum segment 6.
//
// One run against stored runs (a suite's -baseline DIR, or
// `mcpstress-regress compare OLD... -- report.json`) is CompareHistory:
// Gate per metric made two-sided, Holm across the metrics, Compare's
// verdicts and severity, so WriteTable prints it; fewer than 10 stored
// runs of a metric is Inconclusive. SampleSet collects runs (report.json
// trees via package report, bench.txt via ReadBench) keyed MetricKey,
// "suite/test/metric".
//
// # Anomalies, trends, smoothing and why there is no ARIMA
//
// IQROutliers (Tukey fences on type-7 quartiles, n >= 8) and MADOutliers flag
// values and never drop them: every comparison keeps them and footnotes them.
// Quantile is type 7 (R's default); gonum's LinInterp is type 4 and is not used
// for medians or fences. TheilSen (with Sen's CI and a unit-free relative
// slope) and MannKendall (tie-corrected) measure trends; LinearTrend (OLS, R²)
// is for display. EWMA and MovingAverage smooth for display; EWMAChart is a
// drift alarm for small sustained shifts.
//
// The seed asked for ARIMA. It is not provided: benchmark series per commit
// are short, irregular and mostly white noise around piecewise-constant levels
// that move in steps, which is what change-point detection and control charts
// model; ARIMA needs long regular series and a fitted order, and the seed's
// own original never implemented it. Where a forecast is wanted (extrapolating
// a soak run's drift) FitHolt gives Holt's linear smoothing, level plus trend,
// with α and β chosen deterministically by grid search on one-step error. It
// is a forecast, not a test.
//
// # Histograms
//
// The unit of a latency sample is the run's percentile (HistogramRun), never
// the requests pooled across runs. HistogramQuantile takes q in [0, 1] where
// hdrhistogram-go takes a percentage; EncodeHistogram/DecodeHistogram store
// V2 compressed histograms (Baseline.Histograms).
//
// # Baselines
//
// A Baseline is stored as JSON under testdata/baselines/<suite>.json with every
// metric's per-run samples, the Env fingerprint (GOOS/GOARCH, CPU model, core
// count, GOMAXPROCS, memory, Go version, machine kind from
// MCPSTRESS_MACHINE_KIND or derived) and how it was made. SaveBaseline writes
// atomically. A suite registers its own flag and calls a Gatekeeper:
//
//	var updateBaseline = flag.Bool("update-baseline", false, "rewrite testdata/baselines")
//
//	regression.Gatekeeper{
//		Path:   regression.BaselinePath("../../testdata/baselines", "baseline"),
//		Suite:  "baseline",
//		Update: *updateBaseline,
//	}.Check(t, samples) // or regression.CheckAgainstBaseline(t, path, samples, *updateBaseline)
//
// Check logs the table, warns when the baseline came from another machine
// kind, and fails the test on flagged regressions at Gatekeeper.FailAt or
// above; a missing baseline fails with a hint. A stored baseline is weaker
// evidence than interleaved A/B runs made at the same time (see the
// time-order rows below): when both versions can be run, Interleave makes
// the runs in randomized ABBA pairs.
//
// # Output
//
// WriteTable prints a benchstat-like table: center ± CI%, "+12.34% (p=0.002
// q=0.010 n=10)" or "~", the verdict and severity, footnoted warnings and a
// geomean row. WriteBenchFormat writes Go benchmark lines (with "Unit ...
// better=... assume=..." lines) so `benchstat old.txt new.txt` works on our
// results; TestAgreesWithBenchstat checks our p, ±CI% and delta against what
// benchstat (x/perf, 2026-09) printed for the same files.
//
// # Measured rates (the honest numbers)
//
// Noise corpora are in testdata/noise (NoiseCorpus; format independent of the
// source). Runs with even index are the calibration half, odd the evaluation
// half; the calibration half only describes the noise (the CVs below) and
// chose Gate's defaults, the rates are measured on the evaluation half. All
// were collected 2026-11-23 on a shared 2-core VM while ~6 engineers
// compiled, so the noise is realistic for this machine, not a quiet one.
//
// Baseline suite corpus (baseline_quick.json): the baseline suite's own load
// (stress/baseline, quick mode: 150 sessions offered 5,000 msg/s, its echo
// tool call), 80 runs, each against a fresh reference server process, 1 s
// warm-up then 3 s measured; load average 4.1 at the start, 2.3 at the end:
//
//	go test -tags stress ./stress/baseline -run TestCollectBaselineNoise -collect-noise -noise-runs 80 -timeout 30m -v
//
// Seven metrics, robust CV on the calibration half: throughput 0.04% (open
// model: it is the offered rate unless the server falls behind), p50 6.5%,
// p95 17%, p99 32% (corrected latency, ms), undelivered (errors + drops)
// 0 in all 80 runs, server RSS 1.0%, client CPU 7.5%. Evaluate (Holm over
// the 7 metrics, 2,000 trials per cell, seed 20261123, 40 evaluation runs,
// so runs are reused across trials and n = 20 uses them all):
//
//	go test ./regression -run Calibration -full-eval -eval-corpus ../testdata/noise/baseline_quick.json -v [-eval-alpha 0.01]
//
// False positives per report (A/A), n = 5/10/20 per side:
//
//	alpha 0.05: 0.0% [0,0.2] (Inconclusive: Holm over 7 needs n >= 6), 1.3% [0.9,1.9], 1.6% [1.1,2.3]
//	alpha 0.01: 0.0% (Inconclusive), 0.15% [0.0,0.4], 0.45% [0.2,0.9]
//
// Per metric at alpha 0.05: 0.0% (throughput, undelivered, RSS) to 0.7%
// (p99, n = 20). In collection order (consecutive blocks) 0/31, 0/21 and
// 0/1 reports flagged at n = 5/10/20: this 6-minute collection showed no
// drift, but 21 windows bound the rate only below 16%.
//
// Detection at n = 10 per side, alpha 0.05 (alpha 0.01), all metrics shifted:
//
//	                   5% step         10% step        20% step
//	throughput, RSS    100% (100%)     100% (100%)     100% (100%)
//	p50                19.3% (6.5%)    74.7% (46.8%)   100% (100%)
//	p95                3.1% (0.7%)     13.7% (4.3%)    48.4% (23.0%)
//	p99                1.2% (0.1%)     2.4% (0.6%)     11.0% (2.8%)
//	client CPU         3.5% (0.8%)     18.9% (5.5%)    77.8% (49.2%)
//	undelivered        0: a relative shift of zeros is no shift
//
// Any-metric rates are 100% for every step at n >= 10 only because
// throughput and RSS move too; a real slowdown under an open model leaves
// throughput at the offered rate until the server saturates, so read the
// per-metric columns. At n = 20 a 10% step reaches p50 99.7%, p95 36%, p99
// 6.0%, CPU 49%. Shifted alone (the other six A/A), +10% at n = 10 (20):
// p50 69.4% (98.9%), p95 9.7% (26.6%), p99 1.6% (2.5%), CPU 14.0% (40.8%),
// throughput and RSS 100%. Tail-only +20% (p95, p99): 36.8% and 82.9% of
// reports at n = 10 and 20. A ramp to +20% at n = 10: p50 51%.
//
// Improvements (10% and 20%, n = 5/10/20, 12,000 reports per alpha) were
// flagged as regressions in 3 reports at alpha 0.05 (improve 10%, n = 10:
// 1 on p95, 2 on p99; 0.15% [0.0,0.4]) and 1 at alpha 0.01, never on
// p50, throughput, RSS or CPU, while being reported as improvements at the
// detection rates above. Negative controls at alpha 0.05: doubling the
// spread 0.5–0.9% of reports, one run 3× worse 1.7–1.8%.
//
// History detectors on this corpus (series of 40, step at 20, 1,000
// trials): ChangePoints found a change in 0–2.0% of flat series; a 10% step
// in p50 92.5%, RSS and throughput 100%, CPU 24%, p95 4.5%, p99 0%. Gate
// (calibration half, 40 points, as history) false-failed 0–2.5% per metric
// and was Inconclusive on every p50 and p99 value (a change point in the
// 40-point history leaves fewer than 10 points); a 10% worse value failed
// for throughput and RSS (100%) and p95 (5%). The seed's |z| > 2 rule
// flagged 0–9.1% of unchanged runs per metric and, for p50, 10% improvements
// more often than 10% regressions (55.7% vs 40.9%; 10,000 trials).
//
// So on the baseline suite's load, at 10 runs per side, the FPR target
// (<= 1% per report) is met at alpha 0.01 (0.15%) and not at 0.05 (1.3%),
// and >= 98% detection of a 10% shift is met for throughput and server RSS
// only; p50 needs 20 runs per side (99.7% at 0.05, 97.1% at 0.01), and p95,
// p99 and client CPU cannot meet it on this machine with short runs.
//
// Loopback echo corpora (loopback_echo.json, 4 clients;
// loopback_echo_1client.json, 1 client): NOT the baseline suite: an
// in-process TCP server echoing newline-delimited JSON-RPC, one fresh server
// per 1 s run, HdrHistogram latencies; 160 runs each:
//
//	go test ./regression -run TestCollectNoise -collect-noise -noise-runs 160 [-noise-clients 1 -noise-out ...]
//
// The echo calibration halves were used only to choose Gate's defaults (keep outliers;
// t interval rather than median/MAD; see GateConfig) and to describe the
// noise (robust CV, IQR/1.349/median): with 4 clients p50 5.3%,
// p95 25%, p99 33%, throughput 34%, alloc B/op 0.2%, heap 43%; with 1 client
// p50 1.8% (but ~8% of runs sit in a second mode 30% higher), p95 18%, p99
// 111%, throughput 47%, alloc 0.1%, heap 48%.
//
// Evaluate draws 2n distinct runs from the evaluation half per trial, injects
// a known change into the current n (all metrics of the run at once), and runs
// Compare with Holm over the 6 metrics. Full harness, 2,000 trials per cell,
// seed 20261123, 95% Clopper–Pearson intervals (run when the echo corpora
// were the only ones; without -eval-corpus the command now also evaluates
// baseline_quick.json):
//
//	go test ./regression -run Calibration -full-eval -v [-eval-alpha 0.01]
//
// False positives per report (any of 6 metrics flagged, A/A, resampled):
//
//	alpha 0.05: 4 clients n=5/10/20: 1.5% [1.0,2.1], 1.7% [1.1,2.3], 2.5% [1.9,3.3]
//	            1 client  n=5/10/20: 1.5% [1.0,2.1], 0.9% [0.6,1.5], 1.1% [0.7,1.7]
//	alpha 0.01: 4 clients n=5/10/20: 0.0% [0,0.2] (n=5 is Inconclusive), 0.3% [0.1,0.7], 0.4% [0.1,0.7]
//	            1 client  n=5/10/20: 0.0% (Inconclusive), 0.1% [0.0,0.4], 0.2% [0.1,0.6]
//
// Per metric the A/A rate is 0.0–0.8% at alpha 0.05. BUT when baseline and
// current are consecutive blocks in collection order (no resampling, the
// machine drifting between them) the per-report rate at alpha 0.05, n=10 was
// 23% [13,36] (14/61) with 4 clients and 6.6% [1.8,16] (4/61) with 1 client;
// at alpha 0.01, 6.6% and 1.6%. On a shared machine only interleaved A/B runs
// keep the nominal rate; a stored baseline from another hour does not.
//
// Detection of a 10% step at n=10 per side, alpha 0.05 (alpha 0.01):
//
//	alloc B/op (CV 0.2%)        100% (100%)      both corpora
//	p50, 1 client (CV 1.8%)     90.9% (88.3%)    limited by the second mode
//	p50, 4 clients (trimodal)   14.4% (5.8%)
//	p95, p99, throughput, heap  1.0–3.9% (0.2–1.1%)
//
// With only one metric shifted (the other five A/A, so Holm bites as when
// one metric regresses alone) the 10% step at n=10 was detected at nearly the
// same rates: alloc 100%, p50 91.2% (1 client) and 14.1% (4 clients), p95
// 2.1–3.3%, p99 0.5–1.3%, throughput 1.0–1.3%, heap 1.1–2.2%.
//
// At n=20 the 10% step reaches p50 100% (1 client) and 35% (4 clients); a 20%
// step on p95 reaches 36% (4 clients, n=20). A ramp to +20% (mean +10%) is
// found somewhat less often than a 10% step (p50, 1 client, n=10: 79% vs
// 91%). Tail-only +20% (p95 and p99 only) is flagged in 15% and 35% of
// reports at n=10 and 20 (4 clients; 8% and 19% with 1 client).
//
// Improvements were flagged as regressions in at most 0.5% (4 clients) and
// 1.2% (1 client; 24/2000, on p95, p99, throughput and heap) of reports at
// alpha 0.05 — an A/A-sized error, the sample drawn against the shift —
// never on alloc, while being reported as improvements at the detection
// rates above. Negative controls: doubling the spread flags 1.2–2.1% of
// reports, one run 3× worse 1.9–3.4%, both at alpha 0.05.
//
// So the target, FPR <= 1% per report and >= 98% detection of >= 10%
// shifts at 10 runs per side, is met here only for metrics whose run-to-run
// noise is small (alloc: yes; p50 with 1 client: 88–91%); for tail latency,
// throughput and heap on this machine it is far from met, and no test can meet
// it: a 10% shift is a fraction of one robust sd. With alpha 0.01 the FPR part
// is met (0.1–0.4% per report at n=10 and 20, resampled; n=5 is then
// Inconclusive). These echo rates are not the baseline suite's (see above).
//
// The quick version of the same harness (150 trials, a few seconds per
// corpus, every corpus in testdata/noise) runs in `go test ./...` and fails if the A/A per-report rate is inconsistent with
// alpha, if improvements are flagged more than alpha/2 allows (or more than a
// tenth as often as they are detected), or if a low-noise metric misses a
// step at n >= 10 (a metric whose calibration median is 0, like undelivered,
// is exempt: a relative step of zeros injects nothing).
//
// On the echo corpora, TestHistoryDetectorsCalibration measures the history
// detectors (full: 1,000 change-point trials per cell). Gate, with the calibration half as history
// (80 points in time order) and each evaluation run as the new value: the
// false-fail rate at the nominal 1% level was 0–8.8% per metric (4 clients;
// throughput worst) and 0–6.2% (1 client), because this noise is multimodal
// and heavy-tailed, not normal; a 10% worse value failed for alloc (98.8%,
// 100%) and rarely otherwise (p50 15% and 6%); even 50% worse failed for
// p50 in 31% (4 clients) and 100% (1 client). One run against history is weak
// evidence here. ChangePoints, on series of 60 shuffled evaluation runs with a
// step at 30 (±3 tolerance): 0.6–4.4% of flat series showed any change point;
// a 10% step was found for alloc (99.6–99.7%) and p50 with 1 client (83%),
// 20% steps for p50 1 client (98%), 50% steps for most metrics (70–85%,
// except p99 and 1-client p95/heap).
//
// For contrast, the seed's rule (one run against 30, |z| > 2, two-sided) on
// the same evaluation runs (10,000 trials per cell) flagged 2.4–9.6% of
// unchanged runs per metric, and flagged 20% improvements at rates comparable
// to, sometimes above, 20% regressions (p50, 1 client: 94% vs 64%;
// throughput: 13.5% vs 3.2%), the direction-blindness this package removes.
package regression
