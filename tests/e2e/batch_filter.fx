// filter: true passes the item on, false gives FX_EFILTERED with the input
// in the output, a predicate error propagates.
module batch_filter;

struct Order {
    id: i64;
    note: str;
}

stage is_even(i64) -> bool = is_even_number;
stage is_big(Order) -> bool = is_big_order;
stage bump(i64) -> i64 = bump_number;

pipeline evens(i64) -> i64 = filter(is_even);
pipeline big(Order) -> Order = filter(is_big) as big_only;
pipeline evens_bumped(i64) -> i64 = filter(is_even) |> bump;
