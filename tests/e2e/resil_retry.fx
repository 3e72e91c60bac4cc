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
