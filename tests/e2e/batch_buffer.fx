// buffer and pooled_buffer: contiguous batches, outputs concatenated in
// order, FX_EBUFFER with the batch offset, the context checked per batch;
// buffer's result whatever memory the batch outputs are in.
module batch_buffer;

stage tag([i64]) -> [i64] = tag_batch;          // each item * 10 + the batch's length
stage expand([i64]) -> [str] = expand_batch;     // two strings per item
stage twice([i64]) -> [i64] = twice_batch;       // each item * 2, in the arena
stage same([i64]) -> [i64] = same_batch;         // its input as it is (a view of it)
stage fixed([i64]) -> [i64] = fixed_batch;       // each item * 3 in one static array, views of it
stage gappy([i64]) -> [i64] = gappy_batch;       // nothing for a batch starting at 2 mod 4, else twice

pipeline by1([i64]) -> [i64] = buffer(tag, size: 1);
pipeline by2([i64]) -> [i64] = buffer(tag, size: 2);
pipeline by3([i64]) -> [i64] = buffer(tag, size: 3);
pipeline by5([i64]) -> [i64] = buffer(tag, size: 5);
pipeline by100([i64]) -> [i64] = buffer(tag, size: 100);
pipeline strings([i64]) -> [str] = buffer(expand, size: 2) as batches;
pipeline doubled([i64]) -> [i64] = buffer(twice, size: 2);
pipeline views([i64]) -> [i64] = buffer(same, size: 2);
pipeline statics([i64]) -> [i64] = buffer(fixed, size: 2);
pipeline gaps([i64]) -> [i64] = buffer(gappy, size: 2);

pipeline pooled1([i64]) -> [i64] = pooled_buffer(tag, size: 1);
pipeline pooled2([i64]) -> [i64] = pooled_buffer(tag, size: 2);
pipeline pooled3([i64]) -> [i64] = pooled_buffer(tag, size: 3);
pipeline pooled5([i64]) -> [i64] = pooled_buffer(tag, size: 5);
pipeline pooled100([i64]) -> [i64] = pooled_buffer(tag, size: 100);
pipeline pooled_strings([i64]) -> [str] = pooled_buffer(expand, size: 2);
