module shop;
include "shop_app.h";

stage parse(str) -> i64 = parse_int;
pipeline p(str) -> i64 = rate_limit(parse, rate: 10/d);
