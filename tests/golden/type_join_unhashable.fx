module shop;
include "shop_app.h";

extern type Order;
struct Point { x: f64; y: f64; }
stage where(Order) -> Point = locate;
pipeline by_place([Order]) -> [Group<i64, Order>] = join_by_key(where);
