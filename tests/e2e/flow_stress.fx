// 100,000 items through map and fanout with random failures and random
// cancellations: every item ends as an output or a reported error.
module flow_stress;

stage flaky(i64) -> i64 = flaky_double;
stage flaky3(i64) -> i64 = flaky_triple;

pipeline each([i64]) -> [i64] = map(flaky, collect_errors: true, concurrency: 8);
pipeline fast([i64]) -> [i64] = map(flaky, concurrency: 8);
pipeline fanned([i64]) -> [[i64]] = map(fanout(flaky, flaky3, flaky), collect_errors: true);
