// 50 stages of x + 1: after warm-up a call allocates nothing.
module e2e_alloc;

stage inc(i64) -> i64 = add_one;
stage show(i64) -> str = show_int;

pipeline deep(i64) -> i64 = inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc |> inc;
pipeline shown(i64) -> str = deep |> show;
