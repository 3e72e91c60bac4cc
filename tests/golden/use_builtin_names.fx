module shop;
include "shop_app.h";

stage map(str) -> i64 = parse_int;
struct i64 { x: i32; }
stage int(str) -> i64 = parse_int;
