/* bench/flow_stages.c — the stages of flow.fx and the same work as plain
 * functions (work.h) for the limit and the peer. */
#include <stdio.h>
#include <string.h>

#include "bflow.h"
#include "work.h"

/* ---------------------------------------------------------------- the work */

/* The empty asm hides constant inputs from the optimizer, so no way's
 * compiler folds the loop away for a stage whose i is a constant. */
static inline int hash31(int i)
{
    int x = i;
    __asm__ volatile("" : "+r"(x));
    for (int j = 0; j < 1000; j++)
        x = (x * 31) % 997;
    return x;
}

static inline int64_t spin17(int64_t r)
{
    __asm__ volatile("" : "+r"(r));
    for (int j = 0; j < 1000; j++)
        r = (r * 17) % 987;
    return r;
}

static inline void map_item_into(char dst[16], int64_t r)
{
    for (int i = 0; i < 50; i++)
        r = (r * 17 + 13) % 1000000;
    /* strconv.Itoa */
    char tmp[24];
    int n = 0;
    int neg = r < 0;
    uint64_t u = neg ? (uint64_t)(-r) : (uint64_t)r;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    int k = 0;
    if (neg)
        dst[k++] = '-';
    while (n > 0)
        dst[k++] = tmp[--n];
    dst[k] = '\0';
}

/* ---------------------------------------------------------------- plain C (limit, peer) */

int64_t work_times(int64_t x, int k) { return x * k; }

int64_t work_sum(const int64_t *v, size_t n)
{
    int64_t s = 0;
    for (size_t i = 0; i < n; i++)
        s += v[i];
    return s;
}

void work_suffix(char *dst, size_t cap, const char *s, int i) { snprintf(dst, cap, "%s-%d", s, i); }

int work_hash31(int i) { return hash31(i); }

int64_t work_spin17(int64_t r) { return spin17(r); }

void work_map_item(char dst[16], int64_t x) { map_item_into(dst, x); }

/* ---------------------------------------------------------------- fluxus stages */

int bflow_times2(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    (void)ctx;
    *out = *in * 2;
    return 0;
}

int bflow_times3(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    (void)ctx;
    *out = *in * 3;
    return 0;
}

int bflow_times4(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    (void)ctx;
    *out = *in * 4;
    return 0;
}

int bflow_sum(fx_ctx *ctx, const fx_slice_i64 *in, int64_t *out)
{
    (void)ctx;
    int64_t s = 0;
    for (size_t i = 0; i < in->len; i++)
        s += in->ptr[i];
    *out = s;
    return 0;
}

int bflow_spin(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    (void)ctx;
    *out = spin17(*in);
    return 0;
}

int bflow_item(fx_ctx *ctx, const int64_t *in, const char **out)
{
    char *d = fx_alloc(ctx, 16);
    if (d == NULL)
        return FX_ENOMEM;
    map_item_into(d, *in);
    *out = d;
    return 0;
}

/* FanOut: stage i is "%s-%d" with its own i (go-fluxus captures i in a closure). */
#define FAN(I)                                                          \
    int bflow_f##I(fx_ctx *ctx, const char *const *in, const char **out) \
    {                                                                   \
        *out = fx_sprintf(ctx, "%s-%d", *in, I);                        \
        return *out ? 0 : FX_ENOMEM;                                    \
    }
FAN(0) FAN(1) FAN(2) FAN(3) FAN(4) FAN(5) FAN(6) FAN(7) FAN(8) FAN(9)

/* FanOutConcurrencyLimited: stage i hashes its own i, then "%s-%d". */
#define HASH(I)                                                         \
    int bflow_h##I(fx_ctx *ctx, const char *const *in, const char **out) \
    {                                                                   \
        *out = fx_sprintf(ctx, "%s-%d", *in, hash31(I));                \
        return *out ? 0 : FX_ENOMEM;                                    \
    }
#define HASH10(T) HASH(T##0) HASH(T##1) HASH(T##2) HASH(T##3) HASH(T##4) \
                  HASH(T##5) HASH(T##6) HASH(T##7) HASH(T##8) HASH(T##9)
HASH(0) HASH(1) HASH(2) HASH(3) HASH(4) HASH(5) HASH(6) HASH(7) HASH(8) HASH(9)
HASH10(1) HASH10(2) HASH10(3) HASH10(4) HASH10(5) HASH10(6) HASH10(7) HASH10(8) HASH10(9)
