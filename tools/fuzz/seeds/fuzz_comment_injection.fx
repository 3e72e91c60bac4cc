// F5 (fixed in 0d912c9): a name: string (any source text) copied into the generated
// `/* nK: SOURCE  (kind, …) */`: `*/` ends the comment early (the rest of the string
// becomes C code) and `/*` trips -Wcomment.
module m;
stage s(i64) -> i64 = f;
pipeline p(i64) -> i64 = metrics(s, name: "a*/ int x = 1; /*b");
