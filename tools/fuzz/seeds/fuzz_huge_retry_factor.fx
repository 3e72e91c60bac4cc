// F6 (fixed with this seed): a backoff factor beyond long long's range was
// cast to long long before double_const checked its range (undefined
// behaviour, found by `make fuzz` under UBSan). fuzz-accept checks that the
// generated C compiles.
module m;
stage price(i64) -> f64 = price_order;
pipeline quote(i64) -> f64 = retry(price, attempts: 3, backoff: exponential(101ms, factor: 222222222222222222222221.5));
