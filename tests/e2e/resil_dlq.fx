// dlq: the handler, when, on_handler_error, and what never goes to it.
module resil_dlq;

stage work(i64) -> i64 = work_item;   // fails with 7 for odd items; -1 is "filtered", -2 "transient"

pipeline dead(i64) -> i64 = dlq(work, handler: to_dlq);
pipeline picky(i64) -> i64 = dlq(work, handler: to_dlq, when: only_transient);
pipeline failing(i64) -> i64 = dlq(work, handler: broken_dlq, on_handler_error: report_handler);
pipeline noisy(i64) -> i64 = dlq(work, handler: broken_dlq);
pipeline guarded(i64) -> i64 = dlq(circuit_breaker(work, failures: 1) as cb, handler: to_dlq);
