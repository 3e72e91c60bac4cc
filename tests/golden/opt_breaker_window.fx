module shop;
include "shop_app.h";

extern type Order;
stage price(Order) -> f64 = price_order;

pipeline a(Order) -> f64 = circuit_breaker(price, failures: 5, failure_rate: 50%);
pipeline b(Order) -> f64 = circuit_breaker(price, slow_rate: 20%, window: 10s);
pipeline c(Order) -> f64 = retry(price, attempts: 3, backoff: 100ms);
