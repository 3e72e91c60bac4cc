module shop;
include "shop_app.h";
include <stdint.h>;
include "shop_app.h";
include <stdint.h>;
