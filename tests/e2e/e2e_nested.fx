// A pipeline used inside another, and stages with user state.
module e2e_nested;
include "e2e_nested_app.h";

extern type Counter;
extern type Prefix "struct prefix";

stage trim(str) -> str = trim_spaces;
stage tag(str) -> str = add_prefix with Prefix;
stage count(str) -> str = count_calls with Counter;
stage upper(str) -> str = to_upper;

pipeline clean(str) -> str = trim |> count;
pipeline label(str) -> str = clean |> tag |> upper;
pipeline twice(str) -> str = label |> clean as again;
