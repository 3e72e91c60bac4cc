module shop;
include "shop_app.h";

extern type Order;
extern type Db;

stage parse(str) -> Order = parse_order;
stage price(Order) -> f64 = price_order;
stage fmt(f64) -> str = format_price;
stage count(Order) -> i64 = count_lines;
pipeline a(str) -> str = parse |> fmt;
pipeline b(Order) -> [f64] = fanout(price, count);
pipeline c(Order) -> Order = filter(count);
pipeline d(str) -> f64 = parse |> price |> fmt;
pipeline e([Order]) -> [f64] = buffer(price, size: 16);
