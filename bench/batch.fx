// bench/batch.fx — go-fluxus's Buffer and MapReduce workloads
// (docs/PERFORMANCE.md). Stage functions: batch_stages.c.
module bbatch;

stage twice([i64]) -> [i64] = bbatch_twice;                         // a batch, doubled
stage word(str) -> KeyValue<str, i64> = bbatch_word;                // {line, 1}
stage total(Group<str, i64>) -> KeyValue<str, i64> = bbatch_total;  // {key, sum}

pipeline buffered([i64]) -> [i64] = buffer(twice, size: 100);
pipeline wordcount1([str]) -> [KeyValue<str, i64>] = mapreduce(word, total, parallelism: 1);
pipeline wordcount2([str]) -> [KeyValue<str, i64>] = mapreduce(word, total, parallelism: 2);
