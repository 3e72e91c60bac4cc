module shop;
include "shop_app.h";

extern type Order;
extern type Db;

stage parse(str) -> Order = parse_order;
stage price(Order) -> f64 = price_order;
stage fmt(f64) -> str = format_price;
stage pick(Order) -> [u32] = pick_routes;
stage weight(Order) -> i64 = weigh;
pipeline route(Order) -> [f64] = router(pick, price, weight);
