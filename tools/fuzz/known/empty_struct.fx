// F1: an empty struct is accepted; the generated header has `typedef struct Empty {} Empty;`,
// which ISO C rejects (-Wpedantic: struct has no members).
module m;
struct Empty {}
stage s(Empty) -> Empty = f;
pipeline p(Empty) -> Empty = s;
