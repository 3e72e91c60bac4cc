/* bench/chain_stages.c — the stages of chain.fx and the same work as plain
 * functions (work.h) for the limit and the peer. */
#include <stdio.h>
#include <string.h>

#include "bchain.h"
#include "work.h"

/* ---------------------------------------------------------------- the work */

static inline void upper_into(char *d, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        d[i] = (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
    }
    d[n] = '\0';
}

/* Words of s split on ' ' (strings.Split semantics: every space splits),
 * each copied NUL-terminated into memory from alloc. */
#define SPLIT_BODY(ALLOC, FAIL)                                                 \
    size_t nw = 1;                                                          \
    for (const char *p = s; *p; p++)                                        \
        nw += *p == ' ';                                                    \
    size_t len = strlen(s);                                                 \
    const char **w = ALLOC(nw * sizeof *w);                                 \
    char *copy = ALLOC(len + 1);                                            \
    if (w == NULL || copy == NULL)                                          \
        return FAIL;                                                        \
    memcpy(copy, s, len + 1);                                               \
    size_t k = 0;                                                           \
    w[k++] = copy;                                                          \
    for (char *p = copy; *p; p++)                                           \
        if (*p == ' ') {                                                    \
            *p = '\0';                                                      \
            w[k++] = p + 1;                                                 \
        }

/* ---------------------------------------------------------------- plain C (limit, peer) */

char *work_upper(bench_bump *b, const char *s)
{
    size_t n = strlen(s);
    char *d = bench_bump_alloc(b, n + 1);
    if (d != NULL)
        upper_into(d, s, n);
    return d;
}

size_t work_split(bench_bump *b, const char *s, const char ***words)
{
#define BUMP(n) bench_bump_alloc(b, (n))
    SPLIT_BODY(BUMP, 0)
#undef BUMP
    *words = w;
    return nw;
}

int64_t work_count(const char *const *words, size_t n)
{
    (void)words;
    return (int64_t)n;
}

char *work_format_count(bench_bump *b, int64_t n)
{
    char *d = bench_bump_alloc(b, 32);
    if (d != NULL)
        snprintf(d, 32, "Count: %lld", (long long)n);
    return d;
}

int64_t work_add1(int64_t x) { return x + 1; }

/* ---------------------------------------------------------------- fluxus stages */

int bchain_upper(fx_ctx *ctx, const char *const *in, const char **out)
{
    size_t n = strlen(*in);
    char *d = fx_alloc(ctx, n + 1);
    if (d == NULL)
        return FX_ENOMEM;
    upper_into(d, *in, n);
    *out = d;
    return 0;
}

int bchain_split(fx_ctx *ctx, const char *const *in, fx_slice_str *out)
{
    const char *s = *in;
#define ARENA(n) fx_alloc(ctx, (n))
    SPLIT_BODY(ARENA, FX_ENOMEM)
#undef ARENA
    out->ptr = w;
    out->len = nw;
    return 0;
}

int bchain_count(fx_ctx *ctx, const fx_slice_str *in, int64_t *out)
{
    (void)ctx;
    *out = (int64_t)in->len;
    return 0;
}

int bchain_format(fx_ctx *ctx, const int64_t *in, const char **out)
{
    *out = fx_sprintf(ctx, "Count: %lld", (long long)*in);
    return *out ? 0 : FX_ENOMEM;
}

int bchain_add1(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    (void)ctx;
    *out = *in + 1;
    return 0;
}
