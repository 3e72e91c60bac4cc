module shop;
include "shop_app.h";

extern type Order;
extern type Db;

stage parse(str) -> Order = parse_order;
stage price(Order) -> f64 = price_order;
stage fmt(f64) -> str = format_price;
pipeline a(Order) -> [f64] = fanout(price, concurrency: 5000000000);
pipeline b(Order) -> f64 = retry(price, attempts: 2000000);
pipeline c(Order) -> f64 = timeout(price, after: 0ms);
