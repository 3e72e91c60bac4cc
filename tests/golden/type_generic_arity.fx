module shop;
include "shop_app.h";

stage pair(str) -> KeyValue<str> = make_pair;
stage group(Group) -> i64 = count_group;
