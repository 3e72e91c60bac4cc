// F3 (fixed in 0d912c9): C functions named like the locals of generated code
// (h, rc, p, in, out, ctx, obs, observed) were shadowed by them. fuzz-accept checks
// that the generated C compiles.
module m;
stage a(i64) -> i64 = rc;
stage b(i64) -> i64 = p;
stage c(i64) -> i64 = in;
stage d(i64) -> i64 = out;
stage e(i64) -> i64 = ctx;
stage g(i64) -> i64 = obs;
stage k(i64) -> i64 = observed;
pipeline q(i64) -> i64 = on_error(a |> b |> c |> d |> e |> g |> k, h);
