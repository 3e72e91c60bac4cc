module shop;
include "shop_app.h";

stage parse(str) -> i64 = parse_int;

stream a(str) -> [i64] {
    parse;
    window sliding(every: 1s, slide: 2);
}
stream b(str) -> [i64] {
    parse;
    window sliding(count: 3, slide: 4);
}
stream c(str) -> [i64] {
    parse;
    window tumbling(count: 3, every: 1s);
}
