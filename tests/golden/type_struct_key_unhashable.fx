module shop;
include "shop_app.h";

struct Point { x: f64; y: f64; }
stage pair(str) -> KeyValue<Point, str> = make_pair;
