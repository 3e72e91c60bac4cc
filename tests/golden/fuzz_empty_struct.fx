// Regression (fuzzer finding F1): an empty struct was accepted and emitted as
// `typedef struct Empty {} Empty;`, which ISO C rejects.
module m;
struct Empty {}
stage s(Empty) -> Empty = f;
pipeline p(Empty) -> Empty = s;
