module shop;
include "shop_app.h";

stage batch([str]) -> [i64] = parse_batch;
pipeline p([str]) -> [i64] = buffer(batch, size: 0);
