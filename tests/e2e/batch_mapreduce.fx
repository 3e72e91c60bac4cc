// mapreduce: word count on the runtime's threads, on 1 and on 4 workers,
// keyed by str and by a struct; "map phase failed" / "reduce phase failed".
module batch_mapreduce;

struct Cell {
    row: i32;
    col: i32;
}

stage one(str) -> KeyValue<str, i64> = word_one;
stage total(Group<str, i64>) -> KeyValue<str, i64> = word_total;
stage cell_of(i64) -> KeyValue<Cell, i64> = number_cell;
stage cell_sum(Group<Cell, i64>) -> i64 = cell_total;

pipeline count([str]) -> [KeyValue<str, i64>] = mapreduce(one, total);
pipeline count1([str]) -> [KeyValue<str, i64>] = mapreduce(one, total, parallelism: 1);
pipeline count4([str]) -> [KeyValue<str, i64>] = mapreduce(one, total, parallelism: 4) as wordcount;
pipeline cells([i64]) -> [i64] = mapreduce(cell_of, cell_sum, parallelism: 2);
