#ifndef E2E_NESTED_APP_H
#define E2E_NESTED_APP_H
#include <stdatomic.h>
typedef struct Counter { atomic_int calls; } Counter;
struct prefix { const char *text; };
#endif
