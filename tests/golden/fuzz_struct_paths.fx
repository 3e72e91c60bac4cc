// Regression (fuzzer finding F4): checking for structs that hold themselves
// walked every path through A and B (2^64 of them) and never finished.
module m;
struct A { x: B; y: B; }
struct B { x: A; y: A; }
struct C { a: A; }
