// timeout: its own expiry is FX_ETIMEOUT; the caller's cancellation or
// deadline passes through as itself.
module resil_timeout;

stage nap(i64) -> i64 = nap_ms;          // sleeps *in ms on its context
stage stubborn(i64) -> i64 = ignore_ctx; // moves the clock itself, never looks at ctx

pipeline guarded(i64) -> i64 = timeout(nap, after: 30ms);
pipeline careless(i64) -> i64 = timeout(stubborn, after: 30ms);
pipeline twice(i64) -> i64 = retry(timeout(nap, after: 30ms), attempts: 2);
