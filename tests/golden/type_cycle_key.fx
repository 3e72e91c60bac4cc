module shop;
include "shop_app.h";

struct Node { id: i64; next: Node; }
stage link(str) -> KeyValue<Node, i64> = make_link;
