#ifndef E2E_CHAIN_APP_H
#define E2E_CHAIN_APP_H
#include <stdint.h>
#endif
