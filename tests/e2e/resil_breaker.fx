// circuit_breaker: the state machine, the window, run-time control.
module resil_breaker;

stage svc(i64) -> i64 = service;   // fails for negative input; input 1000 waits on a gate

pipeline guarded(i64) -> i64 = circuit_breaker(svc, failures: 3, reset: 1s, successes: 2) as cb;
pipeline windowed(i64) -> i64 = circuit_breaker(svc, window: 10s, failure_rate: 50%, min_calls: 10) as wb;
pipeline gated(i64) -> i64 = circuit_breaker(svc, failures: 1, reset: 0s, successes: 5, half_open: 2) as hb;
pipeline plain(i64) -> i64 = circuit_breaker(svc);
pipeline outer(i64) -> i64 = guarded |> svc;
