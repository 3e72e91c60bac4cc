// After warm-up, map, fanout, parallel and router make no malloc per run.
module flow_alloc;

stage twice(i64) -> i64 = twice_i64;
stage thrice(i64) -> i64 = thrice_i64;
stage sum([i64]) -> i64 = sum_i64;
stage pick(i64) -> [u32] = pick_two;

pipeline mapped([i64]) -> [i64] = map(twice);
pipeline mapped_all([i64]) -> [i64] = map(twice, collect_errors: true, concurrency: 3);
pipeline fanned(i64) -> [i64] = fanout(twice, thrice, twice);
pipeline summed(i64) -> i64 = parallel(twice, thrice, twice, thrice, reduce: sum);
pipeline routed(i64) -> [i64] = router(pick, twice, thrice, concurrency: 2);
