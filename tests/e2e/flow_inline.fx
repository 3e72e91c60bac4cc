// fanout and parallel whose groups run on the caller alone (concurrency: 1
// always does; a cheap site with the default, once it has learnt so): the unrolled direct calls of an unobserved instance, the
// loop beyond the unrolling limit, an observed instance's events and spans,
// parallel's results on the stack (a reducer whose output holds no pointer)
// and in the arena (one whose output may point at its input).
module flow_inline;

struct Stats {
    total: i64;
    count: i32;
}

stage times1(i64) -> i64 = times_1;
stage times2(i64) -> i64 = times_2;
stage times3(i64) -> i64 = times_3;
stage negate(i64) -> i64 = negate_it;
stage fails(i64) -> i64 = fail_12;
stage counted(i64) -> i64 = count_call;
stage sum([i64]) -> i64 = sum_all;
stage stats([i64]) -> Stats = stats_of;
stage keep([i64]) -> [i64] = keep_all;

pipeline fan(i64) -> [i64] = fanout(times1, times2, times3, concurrency: 1);
pipeline fan_fail(i64) -> [i64] = fanout(times1, counted, fails, counted, concurrency: 1);
pipeline fan17(i64) -> [i64] = fanout(times1, times2, times3, times1, times2, times3, times1, times2,
                                      times3, times1, times2, times3, times1, times2, times3, counted,
                                      fails, concurrency: 1);
pipeline par(i64) -> i64 = parallel(times1, times2, times3, reduce: sum, concurrency: 1);
pipeline par_fail(i64) -> i64 = parallel(times1, fails, counted, reduce: sum, concurrency: 1);
pipeline par_reduce_fail(i64) -> i64 = parallel(times1, negate, reduce: sum, concurrency: 1);
pipeline par_stats(i64) -> Stats = parallel(times1, times2, times3, reduce: stats, concurrency: 1);
pipeline par_keep(i64) -> [i64] = parallel(times1, times2, times3, reduce: keep, concurrency: 1);
// Default concurrency: the site learns that the caller is faster and then
// starts its groups inline from the header (fx__group_init_fast).
pipeline par_site(i64) -> i64 = parallel(times1, times2, times3, reduce: sum);
pipeline fan_site(i64) -> [i64] = fanout(times1, counted, fails);
