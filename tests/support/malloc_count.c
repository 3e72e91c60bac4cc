/* tests/support/malloc_count.c — see malloc_count.h. */
#include "malloc_count.h"

#include <stdatomic.h>
#include <stdlib.h>

/* Weak, so that test binaries linked without --wrap still link: then
 * nothing calls the __wrap_ functions and these stay unresolved (NULL). */
extern void *__real_malloc(size_t n) __attribute__((weak));
extern void *__real_calloc(size_t k, size_t n) __attribute__((weak));
extern void *__real_realloc(void *p, size_t n) __attribute__((weak));
extern void __real_free(void *p) __attribute__((weak));

void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);

static atomic_size_t alloc_calls;
static atomic_size_t free_calls;

void *__wrap_malloc(size_t n)
{
    atomic_fetch_add(&alloc_calls, 1);
    return __real_malloc(n);
}

void *__wrap_calloc(size_t k, size_t n)
{
    atomic_fetch_add(&alloc_calls, 1);
    return __real_calloc(k, n);
}

void *__wrap_realloc(void *p, size_t n)
{
    atomic_fetch_add(&alloc_calls, 1);
    return __real_realloc(p, n);
}

void __wrap_free(void *p)
{
    atomic_fetch_add(&free_calls, 1);
    __real_free(p);
}

size_t fx_test_malloc_calls(void) { return atomic_load(&alloc_calls); }
size_t fx_test_free_calls(void) { return atomic_load(&free_calls); }

bool fx_test_malloc_wrapped(void)
{
    size_t before = fx_test_malloc_calls();
    void *volatile p = malloc(1);   /* goes through __wrap_malloc iff wrapped */
    bool wrapped = fx_test_malloc_calls() != before;
    free(p);
    return wrapped;
}
