module shop;
include "shop_app.h";

stage pair(str) -> KeyValue<str, i64> = make_pair;
stage count(Group<str, i32>) -> i64 = count_group;
pipeline words([str]) -> [i64] = mapreduce(pair, count, parallelism: 4);
