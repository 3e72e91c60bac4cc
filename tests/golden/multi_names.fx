module shop;
include "shop_app.h";

extern type Order;
extern type Db;

stage parse(str) -> Order = parse_order;
stage price(Order) -> f64 = price_order;
stage fmt(f64) -> str = format_price;
stage total(Ordr) -> f64 = total_price;
pipeline a(str) -> str = parse |> prise |> fmt;
pipeline b(str) -> str = parse |> price |> fnt;
pipeline c(Order) -> f64 = retyr(price, attempts: 3);
pipeline d(Order) -> f64 = retry(price, atempts: 3);
