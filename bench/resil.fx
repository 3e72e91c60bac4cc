// bench/resil.fx — go-fluxus's Retry, CircuitBreaker and RateLimiter
// workloads (docs/PERFORMANCE.md). Stage functions: resil_stages.c.
module bresil;
include "resil_app.h";

extern type Flaky "struct bench_flaky";

stage flaky(str) -> str = bresil_flaky with Flaky;   // fails twice, then input + "-success"
stage pass(str) -> str = bresil_pass;                // returns its input

pipeline retried(str) -> str = retry(flaky, attempts: 3, backoff: constant(0ms));
pipeline guarded(str) -> str = circuit_breaker(pass, failures: 5, reset: 1s);
pipeline limited(str) -> str = rate_limit(pass, rate: inf, burst: 1);
