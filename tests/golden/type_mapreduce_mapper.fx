module shop;
include "shop_app.h";

extern type Order;
extern type Db;

stage parse(str) -> Order = parse_order;
stage price(Order) -> f64 = price_order;
stage fmt(f64) -> str = format_price;
stage count(Group<str, i64>) -> i64 = count_group;
pipeline words([Order]) -> [i64] = mapreduce(price, count);
