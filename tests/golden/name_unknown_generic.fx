module shop;
include "shop_app.h";

stage pairs(str) -> Pair<str, i64> = make_pairs;
