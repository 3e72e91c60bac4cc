// F4 (found by make fuzz): exponential time in sema.c contains_by_value: the depth
// cap (64) bounds the depth, not the 2^64 paths through A and B when the target (C)
// is not on the cycle. fluxc --check never finishes (libFuzzer: timeout).
module m;
struct A { x: B; y: B; }
struct B { x: A; y: A; }
struct C { a: A; }
