module shop;
stage parse(str) -> i64 = parse_int;
module store;
