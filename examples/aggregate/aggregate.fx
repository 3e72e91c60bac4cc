// aggregate: ask three backends at once and combine their answers.
//
// The backends are simulated: each sleeps for its own latency (on the real
// clock) and answers with a quote. fanout runs them concurrently on the
// runtime's worker pool, so a lookup takes as long as the slowest backend,
// not the sum; fanin hands the three answers, in stage order, to `combine`.
module aggregate;

struct Quote {
    backend: str;
    price: f64;
    in_stock: bool;
}

stage warehouse(str) -> Quote = ask_warehouse;   // 30 ms
stage supplier(str) -> Quote = ask_supplier;     // 10 ms
stage partner(str) -> Quote = ask_partner;       // 20 ms
stage combine([Quote]) -> str = combine_quotes;

pipeline lookup(str) -> str = fanout(warehouse, supplier, partner) |> fanin(combine);
