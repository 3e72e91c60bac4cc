// map: order, fail-fast, collect_errors, concurrency, cancellation.
module flow_map;

stage show(i64) -> str = show_i64;
stage fail3(i64) -> str = fail_on_3;
stage even_fails(i64) -> str = show_or_fail_even;
stage track(i64) -> i64 = track_in_flight;
stage poll(i64) -> i64 = poll_until_done;
stage inc(i64) -> i64 = add_one;
stage show_again(str) -> str = copy_str;

pipeline shown([i64]) -> [str] = map(show);
pipeline fast([i64]) -> [str] = map(fail3, concurrency: 2);
pipeline collected([i64]) -> [str] = map(even_fails, collect_errors: true);
pipeline collected_tail([i64]) -> [str] = map(inc) |> map(even_fails, collect_errors: true);
pipeline collected_head([i64]) -> [str] = map(even_fails, collect_errors: true) |> map(show_again);
pipeline limited([i64]) -> [i64] = map(track, concurrency: 2);
pipeline limited3([i64]) -> [i64] = map(track, concurrency: 3);
pipeline polled([i64]) -> [i64] = map(poll, concurrency: 4);
