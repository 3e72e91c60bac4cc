module shop;
include "shop_app.h";

extern type Order;
extern type Db;

stage parse(str) -> Order = parse_order;
stage price(Order) -> f64 = price_order;
stage fmt(f64) -> str = format_price;
pipeline a(Order) -> f64 = retry(price, attempts: 0, backoff: constant(1s, factor: 2.0));
pipeline b(Order) -> f64 = timeout(price, after: 1s, after: 2s);
pipeline c(Order) -> f64 = circuit_breaker(price, failures: 3, slow_rate: 101%, reset: 10);
pipeline d(Order) -> f64 = rate_limit(price);
pool p: Order (capacity: 0);
