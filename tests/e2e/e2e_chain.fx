// A typed chain over str, a struct and a slice.
module e2e_chain;
include "e2e_chain_app.h";

struct Stats {
    words: u32;
    longest: str;
    all: [str];
}

stage split(str) -> [str] = split_words;
stage measure([str]) -> Stats = measure_words;
stage render(Stats) -> str = render_stats;

pipeline describe(str) -> str = split |> measure |> render;
pipeline shape(str) -> Stats = chain(split, measure);
