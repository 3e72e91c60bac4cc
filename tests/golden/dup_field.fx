module shop;
include "shop_app.h";

struct Receipt {
    id: u64;
    total: f64;
    id: str;
}
