module shop;
include "shop_app.h";

extern type Order;
stage group(Group<Order, i64>) -> i64 = count_group;
