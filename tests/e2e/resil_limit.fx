// rate_limit: token bucket, bounded wait, rate inf, run-time control.
module resil_limit;

stage svc(i64) -> i64 = service;

pipeline one(i64) -> i64 = rate_limit(svc, rate: 1/s, burst: 1, wait: 10ms) as rl;
pipeline unlimited(i64) -> i64 = rate_limit(svc, rate: inf);
pipeline paced(i64) -> i64 = rate_limit(svc, rate: 600/m, burst: 10) as pl;
pipeline strict(i64) -> i64 = rate_limit(svc, rate: 1/s, wait: 0s);
// starts unlimited; with burst 0 a finite rate admits nothing (the run-time control test flips it)
pipeline flip(i64) -> i64 = rate_limit(svc, rate: inf, burst: 0, wait: 0s) as fl;
