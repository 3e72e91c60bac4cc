// on_error: the pipeline's error handler sees every error and may swallow
// or replace it.
module e2e_onerror;

stage parse(str) -> i64 = parse_int;
stage half(i64) -> i64 = halve;

pipeline swallow(str) -> i64 = on_error(parse |> half, swallow_parse_errors);
pipeline replace(str) -> i64 = on_error(parse |> half, replace_codes);
pipeline inner(str) -> i64 = parse |> on_error(half, swallow_parse_errors);
