// F3: the on_error handler `h` is shadowed by the generated local `int h = h(ctx, rc);`
// (also rc, result, p, ctx, in, out, t0… as stage or handler C names).
module m;
stage s(i64) -> i64 = f;
pipeline p(i64) -> i64 = on_error(s, h);
