module shop;
include "shop_app.h";

struct Node {
    value: i64;
    next: Node;
}
struct Tree {
    left: Leaf;
}
struct Leaf {
    parent: KeyValue<i64, Tree>;
}
