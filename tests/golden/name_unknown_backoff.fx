module shop;
include "shop_app.h";

extern type Order;
extern type Db;

stage parse(str) -> Order = parse_order;
stage price(Order) -> f64 = price_order;
stage fmt(f64) -> str = format_price;
pipeline quote(str) -> str = parse |> retry(price, backoff: exponental(100ms)) |> fmt;
