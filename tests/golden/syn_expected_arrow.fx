module shop;
include "shop_app.h";

extern type Order;
stage parse(str) Order = parse_order;
