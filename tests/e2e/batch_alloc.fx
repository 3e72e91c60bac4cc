// buffer, pooled_buffer and filter make no malloc call per run after
// warm-up (results in the context arena, batch storage in pools).
module batch_alloc;

stage halve([i64]) -> [i64] = halve_batch;
stage small(i64) -> bool = is_small;

pipeline buffered([i64]) -> [i64] = buffer(halve, size: 4);
pipeline pooled([i64]) -> [i64] = pooled_buffer(halve, size: 4);
pipeline smalls(i64) -> i64 = filter(small);
