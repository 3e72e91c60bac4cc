// bench/chain.fx — go-fluxus's SimplePipeline, ChainedPipeline and ChainDepth
// workloads (docs/PERFORMANCE.md). Stage functions: chain_stages.c.
module bchain;

stage upper(str) -> str = bchain_upper;          // strings.ToUpper
stage split(str) -> [str] = bchain_split;        // strings.Split(s, " ")
stage count([str]) -> i64 = bchain_count;        // len(words)
stage format(i64) -> str = bchain_format;        // fmt.Sprintf("Count: %d", n)
stage add1(i64) -> i64 = bchain_add1;            // x + 1

pipeline simple(str) -> str = upper;
pipeline chained(str) -> str = split |> count |> format;
pipeline depth1(i64) -> i64 = add1;
pipeline depth5(i64) -> i64 = add1 |> add1 |> add1 |> add1 |> add1;
pipeline depth10(i64) -> i64 = add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1;
pipeline depth20(i64) -> i64 = add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1;
pipeline depth50(i64) -> i64 = add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1 |> add1;
