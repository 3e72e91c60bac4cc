// Module-level pools (SPEC 5.5): a struct pool, a slice pool with get_cap,
// a pool of a built-in type, the default capacity.
module batch_pool;

struct Receipt {
    id: u64;
    total: f64;
    note: str;
}

pool receipts: Receipt (capacity: 4, prewarm: 2);
pool rows: [i64] (capacity: 2, prewarm: 1);
pool counters: i64 (capacity: 8);
pool defaults: Receipt;
