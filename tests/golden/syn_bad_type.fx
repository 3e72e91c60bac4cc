module shop;
include "shop_app.h";

stage parse(str) -> [i64 = parse_int;
