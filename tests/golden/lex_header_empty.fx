module shop;
include <>;
