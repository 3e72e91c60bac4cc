// Fault-injection stress (tests/stress/stress.c): every combinator with code
// generation, flaky stages with random latencies, from several threads.
module stress;

stage flaky(i64) -> i64 = st_flaky;
stage slow(i64) -> i64 = st_slow;
stage keep(i64) -> bool = st_keep;
stage total([i64]) -> i64 = st_total;
stage twice([i64]) -> [i64] = st_twice;

pipeline guarded(i64) -> i64 = dlq(retry(flaky, attempts: 2), handler: st_dead);
pipeline item(i64) -> i64 = on_error(flaky |> slow, st_on_error) |> guarded;
pipeline collect([i64]) -> [i64] = map(item, concurrency: 3, collect_errors: true);
pipeline failfast([i64]) -> [i64] = map(flaky |> slow, concurrency: 4);
pipeline fanned(i64) -> [i64] = fanout(flaky, slow |> flaky, timeout(slow, after: 2ms));
pipeline batched([i64]) -> i64 = buffer(twice, size: 3) |> total;
pipeline filtered(i64) -> i64 = trace(metrics(filter(keep) |> flaky, name: "m"), name: "t");
