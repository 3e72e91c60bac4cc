// resilient: charges sent to a flaky payment service, behind
// rate_limit |> retry |> circuit_breaker |> dlq (each wraps the one before).
//
// The service is simulated (resilient_app.h): its latency and its failures
// come from a seeded generator, and it has an outage in the middle of the
// run. Latency is slept on the runtime's clock, a fake clock in auto mode,
// so a run takes no real time and gives the same output for the same seed.
//
//   rate_limit       at most 25 calls a second to the service (bursts of 3);
//                    every try of the retry takes a token
//   retry            3 tries of transient failures (503), exponential backoff
//                    with jitter; a declined charge (402) is not retried
//   circuit_breaker  3 charges in a row that failed every try open it for
//                    300ms; 2 successes in half-open close it
//   dlq              every charge that still failed (also those the open
//                    breaker turned away) is written to a JSON-lines file
module resilient;

include "resilient_app.h";

struct Charge {
    id: i64;
    customer: str;
    cents: i64;
}

stage call(Charge) -> str = call_service with Service;

pipeline charge(Charge) -> str =
    dlq(
        circuit_breaker(
            retry(
                rate_limit(call, rate: 25/s, burst: 3) as limiter,
                attempts: 3,
                backoff: exponential(20ms, factor: 2.0, max: 200ms, jitter: 0.2),
                retry_if: is_transient) as retries,
            failures: 3, reset: 300ms, successes: 2) as breaker,
        handler: write_dead_letter, when: keep_dead_letter);
