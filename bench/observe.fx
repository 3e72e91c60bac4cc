// bench/observe.fx — go-fluxus's MetricatedStage workload
// (docs/PERFORMANCE.md). Stage functions: observe_stages.c.
module bobserve;

stage upper(str) -> str = bobserve_upper;   // strings.ToUpper

pipeline metricated(str) -> str = metrics(upper, name: "benchmark_stage");
