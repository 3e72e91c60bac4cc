// fanout, fanin, parallel, router; a map inside a fanout inside a map.
module flow_fanout;

stage times1(i64) -> i64 = times_1;
stage times2(i64) -> i64 = times_2;
stage times3(i64) -> i64 = times_3;
stage times4(i64) -> i64 = times_4;
stage times5(i64) -> i64 = times_5;
stage fails(i64) -> i64 = fail_12;
stage waits(i64) -> i64 = wait_for_cancel;
stage meet(i64) -> i64 = meet_others;
stage sum([i64]) -> i64 = sum_all;
stage pick(i64) -> [u32] = pick_routes;
stage expand(i64) -> [i64] = expand_3;

pipeline fan(i64) -> [i64] = fanout(times1, times2, times3);
pipeline fan_fail(i64) -> [i64] = fanout(times1, fails, waits);
pipeline fan_meet(i64) -> [i64] = fanout(meet, meet, meet, meet, concurrency: 2);
pipeline summed([i64]) -> i64 = fanin(sum);
pipeline par(i64) -> i64 = parallel(times1, times2, times3, times4, times5, reduce: sum);
pipeline par_fail(i64) -> i64 = parallel(times1, fails, reduce: sum);
pipeline fan_sum(i64) -> i64 = fanout(times1, times2) |> fanin(sum);
pipeline routed(i64) -> [i64] = router(pick, times1, times2, fails, waits);
pipeline routed_meet(i64) -> [i64] = router(pick, meet, meet, meet, meet, concurrency: 2);
pipeline nested([i64]) -> [[[i64]]] = map(fanout(expand |> map(times2), expand |> map(times3)));
