// bench/observe.fx — go-fluxus's MetricatedStage workload and the cost of
// observability per stage (issue 5 item 6; docs/PERFORMANCE.md,
// docs/OBSERVABILITY.md §6). Stage functions: observe_stages.c.
module bobserve;

stage upper(str) -> str = bobserve_upper;   // strings.ToUpper

pipeline metricated(str) -> str = metrics(upper, name: "benchmark_stage");

stage step(i64) -> i64 = bobserve_step;         // x + 1

// ObserveCost: ten observed stages, so the pipeline's own events are a tenth.
pipeline costed(i64) -> i64 = step |> step |> step |> step |> step |> step |> step |> step |> step |> step;
