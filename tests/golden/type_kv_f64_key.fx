module shop;
include "shop_app.h";

stage pair(str) -> KeyValue<f64, str> = make_pair;
