// examples/observed — a pipeline with metrics and traces on.
module observed;

stage parse(str) -> i64 = parse_amount;
stage fetch(i64) -> i64 = fetch_rate;
stage tax(i64) -> i64 = add_tax;
stage fee(i64) -> i64 = add_fee;
stage total([i64]) -> i64 = sum_parts;

pipeline quote(str) -> i64 =
    metrics(parse, name: "parse_amount")
    |> retry(fetch, attempts: 3, backoff: constant(1ms))
    |> trace(fanout(tax, fee), name: "charges", attrs: { team: "billing" })
    |> fanin(total);
