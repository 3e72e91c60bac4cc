// F2: include paths keep their escapes; the header gets `#include "a` + newline + `b.h"`
// and `#include "a"b.h"`, which do not compile.
module m;
include "a\nb.h";
include "c\"d.h";
