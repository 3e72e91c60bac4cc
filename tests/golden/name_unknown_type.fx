module shop;
include "shop_app.h";

extern type Order;
stage parse(str) -> Ordr = parse_order;
stage count(str) -> u46 = count_words;
