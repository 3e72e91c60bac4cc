// The clock reads a pipeline shares with its parts (fx_observe_begin_lending,
// fx_observe_end_lending; docs/OBSERVABILITY.md): a pipeline of one stage,
// a chain whose first and last parts are observed, and a chain whose last
// part is not (on_error), which must read its own end.
module obs_lending;

stage first(i64) -> i64 = lend_first;     // advances the fake clock by 10 ns
stage second(i64) -> i64 = lend_second;   // by 20 ns; fails on input -1
stage third(i64) -> i64 = lend_third;     // by 30 ns

pipeline single(i64) -> i64 = metrics(first, name: "one");
pipeline chained(i64) -> i64 = first |> second |> third;
pipeline guarded(i64) -> i64 = first |> on_error(third, lend_handler);
