/* bench/fam_chain.c — SimplePipeline, ChainedPipeline, ChainDepth-N. */
#include <string.h>

#include "bchain.h"
#include "glue.h"
#include "peers.h"
#include "work.h"

BENCH_PIPE(bchain, simple, NULL)
BENCH_PIPE(bchain, chained, NULL)

static const char SIMPLE_IN[] = "hello world";
static const char CHAINED_IN[] = "hello world benchmark test";

/* ---------------------------------------------------------------- SimplePipeline */

static int fx_simple_run(void *v, size_t n)
{
    bchain_simple_st *s = v;
    for (size_t i = 0; i < n; i++) {
        const char *in = SIMPLE_IN, *out = NULL;
        if (bchain_simple_process(s->p, s->ctx, &in, &out) != 0 || out[0] != 'H')
            return 1;
        if (i == 0 && strcmp(out, "HELLO WORLD") != 0)
            return 1;
        fx_ctx_reset(s->ctx);
    }
    return 0;
}

static int limit_simple_run(void *v, size_t n)
{
    bench_limit_st *s = v;
    for (size_t i = 0; i < n; i++) {
        const char *out = work_upper(&s->bump, SIMPLE_IN);
        if (out == NULL || out[0] != 'H')
            return 1;
        if (i == 0 && strcmp(out, "HELLO WORLD") != 0)
            return 1;
        bench_bump_reset(&s->bump);
    }
    return 0;
}

/* The API floor: bchain_simple_process written by hand, calling the same
 * stage function (bench/harness.h). */
static BENCH_FLOOR_FN int floor_simple_process(bench_floor_st *p, fx_ctx *ctx, const char *const *in,
                                               const char **out)
{
    if (p == NULL || ctx == NULL || in == NULL || out == NULL)
        return FX_EINVAL;
    if (fx_ctx_done(ctx))
        return fx_ctx_err(ctx);
    const char *result = NULL;   /* *out is written only on success */
    int rc = bchain_upper(ctx, in, &result);
    if (rc == 0)
        *out = result;
    return rc;
}

static int floor_simple_run(void *v, size_t n)
{
    bench_floor_st *s = v;
    for (size_t i = 0; i < n; i++) {
        const char *in = SIMPLE_IN, *out = NULL;
        if (floor_simple_process(s, s->ctx, &in, &out) != 0 || out[0] != 'H')
            return 1;
        if (i == 0 && strcmp(out, "HELLO WORLD") != 0)
            return 1;
        fx_ctx_reset(s->ctx);
    }
    return 0;
}

/* ---------------------------------------------------------------- ChainedPipeline */

static int fx_chained_run(void *v, size_t n)
{
    bchain_chained_st *s = v;
    for (size_t i = 0; i < n; i++) {
        const char *in = CHAINED_IN, *out = NULL;
        if (bchain_chained_process(s->p, s->ctx, &in, &out) != 0 || out[7] != '4')
            return 1;
        if (i == 0 && strcmp(out, "Count: 4") != 0)
            return 1;
        fx_ctx_reset(s->ctx);
    }
    return 0;
}

static int limit_chained_run(void *v, size_t n)
{
    bench_limit_st *s = v;
    for (size_t i = 0; i < n; i++) {
        const char **words;
        size_t nw = work_split(&s->bump, CHAINED_IN, &words);
        int64_t c = work_count(words, nw);
        const char *out = work_format_count(&s->bump, c);
        if (out == NULL || out[7] != '4')
            return 1;
        if (i == 0 && strcmp(out, "Count: 4") != 0)
            return 1;
        bench_bump_reset(&s->bump);
    }
    return 0;
}

/* ---------------------------------------------------------------- ChainDepth */

#define DEPTH(D)                                                        \
    BENCH_PIPE(bchain, depth##D, NULL)                                  \
    static int fx_depth##D##_run(void *v, size_t n)                     \
    {                                                                   \
        bchain_depth##D##_st *s = v;                                    \
        for (size_t i = 0; i < n; i++) {                                \
            int64_t in = (int64_t)i, out = 0;                           \
            if (bchain_depth##D##_process(s->p, s->ctx, &in, &out) != 0 \
                || out != in + D)                                       \
                return 1;                                               \
        }                                                               \
        return 0;                                                       \
    }
DEPTH(1)
DEPTH(5)
DEPTH(10)
DEPTH(20)
DEPTH(50)

/* The API floor of depthD: bchain_add1 D times, each stage writing its own
 * temporary (no copy between stages), a context check before each, the
 * last temporary zeroed because it is the result. Unrolled into D calls in
 * a row, as a hand-written D-stage pipeline is (and fluxc's is): as a
 * loop it measured up to 25% slower than fluxus at D = 20, no floor. */
#define FLOOR_DEPTH(D)                                                                  \
    static BENCH_FLOOR_FN int floor_depth##D##_process(bench_floor_st *p, fx_ctx *ctx,  \
                                                       const int64_t *in, int64_t *out) \
    {                                                                                   \
        if (p == NULL || ctx == NULL || in == NULL || out == NULL)                      \
            return FX_EINVAL;                                                           \
        int64_t t[D];                                                                   \
        t[D - 1] = 0;                                                                   \
        const int64_t *x = in;                                                          \
        _Pragma("GCC unroll 64")                                                        \
        for (int k = 0; k < D; k++) {                                                   \
            if (fx_ctx_done(ctx))                                                       \
                return fx_ctx_err(ctx);                                                 \
            int rc = bchain_add1(ctx, x, &t[k]);                                        \
            if (rc != 0)                                                                \
                return rc;                                                              \
            x = &t[k];                                                                  \
        }                                                                               \
        *out = t[D - 1];                                                                \
        return 0;                                                                       \
    }                                                                                   \
    static int floor_depth##D##_run(void *v, size_t n)                                  \
    {                                                                                   \
        bench_floor_st *s = v;                                                          \
        for (size_t i = 0; i < n; i++) {                                                \
            int64_t in = (int64_t)i, out = 0;                                           \
            if (floor_depth##D##_process(s, s->ctx, &in, &out) != 0 || out != in + D)   \
                return 1;                                                               \
        }                                                                               \
        return 0;                                                                       \
    }
FLOOR_DEPTH(1)
FLOOR_DEPTH(5)
FLOOR_DEPTH(10)
FLOOR_DEPTH(20)
FLOOR_DEPTH(50)

static int limit_depth_run(void *v, size_t n)
{
    bench_limit_st *s = v;
    const int d = *(const int *)s->arg;
    for (size_t i = 0; i < n; i++) {
        int64_t x = (int64_t)i;
        for (int k = 0; k < d; k++)
            x = work_add1(x);
        if (x != (int64_t)i + d)
            return 1;
    }
    return 0;
}

static const int depths[] = {1, 5, 10, 20, 50};

#define LIMIT(RUN) {bench_limit_setup, RUN, bench_limit_teardown}
#define FX(P, RUN) {bchain_##P##_setup, RUN, bchain_##P##_teardown}
#define FLOOR(RUN) {bench_floor_setup, RUN, bench_floor_teardown}

void bench_register_chain(void)
{
    bench_add(&(bench_case){
        .name = "SimplePipeline",
        .what = "one stage: uppercase \"hello world\" into the arena",
        .fluxus = FX(simple, fx_simple_run),
        .limit = LIMIT(limit_simple_run),
        .peer = PEER_CHAIN,
        .floor = FLOOR(floor_simple_run),
        .arg = &peer_chain_simple,
        .limit_note = "direct call, bump allocator",
        .floor_note = "ctx check, the stage (fx_alloc), result temp; fx_ctx_reset per op",
        .peer_note = "parallel_pipeline, 1 stage filter; ns per item of a stream",
        .go_fluxus_ns = 36.6,
    });
    bench_add(&(bench_case){
        .name = "ChainedPipeline",
        .what = "split a 4-word string |> count |> format \"Count: %d\"",
        .fluxus = FX(chained, fx_chained_run),
        .limit = LIMIT(limit_chained_run),
        .peer = PEER_CHAIN,
        .arg = &peer_chain_chained,
        .limit_note = "three direct calls, bump allocator",
        .peer_note = "parallel_pipeline, 3 stage filters; ns per item of a stream",
        .go_fluxus_ns = 101.6,
    });
    static const double go[] = {4.5, 24.9, 54.3, 182.4, 620.1};
    static const bench_impl fx[] = {FX(depth1, fx_depth1_run), FX(depth5, fx_depth5_run),
                                    FX(depth10, fx_depth10_run), FX(depth20, fx_depth20_run),
                                    FX(depth50, fx_depth50_run)};
    static const bench_impl floor[] = {FLOOR(floor_depth1_run), FLOOR(floor_depth5_run),
                                       FLOOR(floor_depth10_run), FLOOR(floor_depth20_run),
                                       FLOOR(floor_depth50_run)};
    static const char *const names[] = {"ChainDepth/1", "ChainDepth/5", "ChainDepth/10", "ChainDepth/20",
                                        "ChainDepth/50"};
    for (size_t k = 0; k < sizeof depths / sizeof depths[0]; k++)
        bench_add(&(bench_case){
            .name = names[k],
            .what = "N stages of x + 1 (i64)",
            .arg = &depths[k],
            .fluxus = fx[k],
            .limit = LIMIT(limit_depth_run),
            .peer = PEER_DEPTH,
            .floor = floor[k],
            .limit_note = "N direct calls in a loop",
            .floor_note = "N × (ctx check, the stage through memory), unrolled, result temp",
            .peer_note = "parallel_pipeline, N parallel filters; ns per item of a stream",
            .go_fluxus_ns = go[k],
        });
}
