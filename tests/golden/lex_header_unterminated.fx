module shop;
include <stdint.h;
