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

// router, parallel, fanin, mapreduce, join_by_key, pooled_buffer
stage pick(i64) -> [u32] = st_pick;
stage kv(i64) -> KeyValue<i64, i64> = st_kv;
stage keyof(i64) -> i64 = st_keyof;
stage group_total(Group<i64, i64>) -> i64 = st_group_total;

pipeline routed(i64) -> [i64] = router(pick, flaky, slow |> flaky, slow, concurrency: 2);
pipeline par(i64) -> i64 = parallel(flaky, slow, flaky |> slow, reduce: total, concurrency: 2);
pipeline summed([i64]) -> i64 = map(flaky, concurrency: 2) |> fanin(total);
pipeline reduced([i64]) -> [i64] = mapreduce(kv, group_total, parallelism: 3);
pipeline joined([i64]) -> [i64] = join_by_key(keyof) |> map(group_total, concurrency: 2);
pipeline pooled([i64]) -> i64 = pooled_buffer(twice, size: 4) |> total;

// timeout, circuit_breaker, rate_limit under a dlq, per item; on_error swallowing
stage napper(i64) -> i64 = st_nap;
stage flaky2(i64) -> i64 = st_flaky2;

pipeline shielded(i64) -> i64 =
    dlq(rate_limit(circuit_breaker(timeout(napper, after: 2ms), failures: 3, reset: 1ms, successes: 2) as cb,
                   rate: 4000/s, burst: 6, wait: 1ms) as rl,
        handler: st_dead2);
pipeline shielded_all([i64]) -> [i64] = map(shielded, concurrency: 3, collect_errors: true);
pipeline swallowing([i64]) -> [i64] = map(on_error(flaky2, st_swallow), concurrency: 3, collect_errors: true);
