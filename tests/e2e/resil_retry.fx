// retry: attempts, the backoff kinds, retry_if, events, cancellation.
module resil_retry;

stage flaky(i64) -> i64 = flaky_call;

pipeline five(i64) -> i64 = retry(flaky, attempts: 5);
pipeline three(i64) -> i64 = retry(flaky);
pipeline picky(i64) -> i64 = retry(flaky, attempts: 5, retry_if: is_transient);
pipeline fixed(i64) -> i64 = retry(flaky, attempts: 4, backoff: constant(100ms));
pipeline expo(i64) -> i64 = retry(flaky, attempts: 6, backoff: exponential(100ms, factor: 2.0, max: 1s));
pipeline jitter(i64) -> i64 =
    retry(flaky, attempts: 6, backoff: exponential(100ms, factor: 2.0, max: 5s, jitter: 0.2)) as r;
pipeline custom(i64) -> i64 = retry(flaky, attempts: 4, backoff: squares);

// A stage scripted per try (bare_call): a bare code, a stale fx_fail, a
// cancellation of its own context. Unobserved, its retry records only where
// it stops (docs/PERFORMANCE.md D6); the records must not show it.
stage scripted(i64) -> i64 = bare_call;
pipeline scripted5(i64) -> i64 = retry(scripted, attempts: 5);
