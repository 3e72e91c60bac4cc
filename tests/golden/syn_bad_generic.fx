module shop;
include "shop_app.h";

stage parse(str) -> KeyValue<str i64> = parse_kv;
