/* bench/alloc_count.c — counts every allocator call of the bench executable.
 *
 * Interposition, not --wrap: the executable defines malloc & co itself, so
 * the dynamic linker binds every caller to them — our C, libfluxus, the
 * C++ runtime (operator new calls malloc) and libtbb.so alike. They forward
 * to glibc's __libc_* entry points.
 *
 * oneTBB does not always call malloc: libtbb dlopen()s libtbbmalloc and
 * takes scalable_malloc & co with dlsym(). We interpose dlsym too and hand
 * it counting trampolines for those names, so TBB keeps its own allocator
 * and its calls are counted like the others.
 *
 * Counting is off by default and costs one predictable branch; the harness
 * turns it on only for the pass that counts. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "harness.h"

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t k, size_t n);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t n);

static atomic_int counting;
static atomic_uint_least64_t calls;

static inline void count(void)
{
    if (__builtin_expect(atomic_load_explicit(&counting, memory_order_relaxed), 0))
        atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
}

void bench_alloc_counting(int on)
{
    if (on)
        atomic_store(&calls, 0);
    atomic_store(&counting, on);
}

uint64_t bench_alloc_calls(void) { return atomic_load(&calls); }

void *malloc(size_t n)
{
    count();
    return __libc_malloc(n);
}

void *calloc(size_t k, size_t n)
{
    count();
    return __libc_calloc(k, n);
}

void *realloc(void *p, size_t n)
{
    count();
    return __libc_realloc(p, n);
}

void free(void *p) { __libc_free(p); }

void *memalign(size_t align, size_t n)
{
    count();
    return __libc_memalign(align, n);
}

void *aligned_alloc(size_t align, size_t n)
{
    count();
    return __libc_memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
    if (align < sizeof(void *) || (align & (align - 1)) != 0)
        return EINVAL;
    count();
    void *p = __libc_memalign(align, n);
    if (p == NULL)
        return ENOMEM;
    *out = p;
    return 0;
}

void *valloc(size_t n)
{
    count();
    return __libc_memalign(4096, n);
}

/* ---------------------------------------------------------------- oneTBB's scalable allocator */

static void *(*real_scalable_malloc)(size_t);
static void *(*real_scalable_aligned_malloc)(size_t, size_t);

static void *counting_scalable_malloc(size_t n)
{
    count();
    return real_scalable_malloc(n);
}

static void *counting_scalable_aligned_malloc(size_t n, size_t align)
{
    count();
    return real_scalable_aligned_malloc(n, align);
}

/* dlsym hands out functions as void *: POSIX's memcpy idiom converts. */
#define FROM_OBJ(fp, obj) memcpy(&(fp), &(obj), sizeof(fp))
#define TO_OBJ(obj, fp) memcpy(&(obj), &(fp), sizeof(obj))

void *dlsym(void *restrict handle, const char *restrict name)
{
    static void *(*real_dlsym)(void *, const char *);
    if (real_dlsym == NULL) {
        void *r = dlvsym(RTLD_NEXT, "dlsym", "GLIBC_2.34");
        if (r == NULL)
            r = dlvsym(RTLD_NEXT, "dlsym", "GLIBC_2.2.5");
        FROM_OBJ(real_dlsym, r);
    }
    void *f = real_dlsym(handle, name);
    if (f == NULL)
        return NULL;
    void *obj = f;
    if (strcmp(name, "scalable_malloc") == 0) {
        void *(*counting)(size_t) = counting_scalable_malloc;
        FROM_OBJ(real_scalable_malloc, f);
        TO_OBJ(obj, counting);
    } else if (strcmp(name, "scalable_aligned_malloc") == 0) {
        void *(*counting)(size_t, size_t) = counting_scalable_aligned_malloc;
        FROM_OBJ(real_scalable_aligned_malloc, f);
        TO_OBJ(obj, counting);
    }
    return obj;
}
