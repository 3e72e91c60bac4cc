// Spans and events of the resilience combinators (docs/OBSERVABILITY.md §2,
// docs/RESILIENCE.md "Spans and events"), on a fake-clock runtime with a
// recording tracer and metrics table.
module resil_obs;

stage flaky(i64) -> i64 = flaky_call;   // fails while `flaky_failures` lasts
stage svc(i64) -> i64 = service;        // fails for negative input
stage nap(i64) -> i64 = nap_ms;         // sleeps *in ms on its context

pipeline retried(i64) -> i64 = retry(flaky, attempts: 5, backoff: constant(10ms));
pipeline guarded(i64) -> i64 = circuit_breaker(svc, failures: 2, reset: 1s) as cb;
pipeline limited(i64) -> i64 = rate_limit(svc, rate: 1/s, burst: 1, wait: 10ms) as rl;
pipeline paced(i64) -> i64 = rate_limit(svc, rate: 100/s, burst: 1);
pipeline dead(i64) -> i64 = dlq(svc, handler: to_dlq);
pipeline bounded(i64) -> i64 = timeout(nap, after: 30ms);
