// Word count with mapreduce: split a text into words, map each word to
// (word, 1) on the worker pool, group by word, sum each group. The result
// lists every word once, in order of first appearance.
module wordcount;

stage words(str) -> [str] = split_words;                       // lower-cased words, in the arena
stage one(str) -> KeyValue<str, i64> = count_one;               // the mapper
stage total(Group<str, i64>) -> KeyValue<str, i64> = sum_counts; // the reducer

pipeline count(str) -> [KeyValue<str, i64>] = words |> mapreduce(one, total, parallelism: 4);
