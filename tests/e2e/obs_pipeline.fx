// Observability end to end: a pipeline with metrics(), trace(), retry and
// fanout/fanin, run with the Prometheus collector and the OTLP exporter.
module obs_pipeline;

stage parse(str) -> i64 = parse_num;
stage fetch(i64) -> i64 = fetch_base;
stage price(i64) -> i64 = add_price;
stage stock(i64) -> i64 = add_stock;
stage total([i64]) -> i64 = sum_all;

pipeline checkout(str) -> i64 =
    metrics(parse, name: "parsing")
    |> retry(fetch, attempts: 3, backoff: constant(1ms))
    |> trace(fanout(price, stock), name: "quote", attrs: { team: "pricing", tier: "gold" })
    |> fanin(total);
