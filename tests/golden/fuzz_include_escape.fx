// Regression (fuzzer finding F2): escapes in an include path were written raw
// into the generated #include, which then did not compile.
module m;
include "a\nb.h";
include "c\"d.h";
