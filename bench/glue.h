/* bench/glue.h — the boilerplate around a generated pipeline: what a user
 * writes to hold an instance and a context (fam_*.c). */
#ifndef BENCH_GLUE_H
#define BENCH_GLUE_H

#include <stdlib.h>

#include <fluxus/fluxus.h>

#include "harness.h"

/* typedef STATE_MOD_P { MOD_P *p; fx_ctx *ctx; } plus setup/teardown on the
 * runtime returned by RT_EXPR (NULL = the default runtime). */
#define BENCH_PIPE(MOD, P, RT_EXPR)                                     \
    typedef struct MOD##_##P##_st {                                     \
        MOD##_##P *p;                                                   \
        fx_ctx *ctx;                                                    \
    } MOD##_##P##_st;                                                   \
    static void *MOD##_##P##_setup(const void *arg)                     \
    {                                                                   \
        (void)arg;                                                      \
        MOD##_##P##_st *s = calloc(1, sizeof *s);                       \
        if (s == NULL)                                                  \
            return NULL;                                                \
        s->p = MOD##_##P##_new(RT_EXPR);                                \
        s->ctx = fx_ctx_new();                                          \
        if (s->p == NULL || s->ctx == NULL) {                           \
            MOD##_##P##_free(s->p);                                     \
            fx_ctx_free(s->ctx);                                        \
            free(s);                                                    \
            return NULL;                                                \
        }                                                               \
        return s;                                                       \
    }                                                                   \
    static void MOD##_##P##_teardown(void *v)                           \
    {                                                                   \
        MOD##_##P##_st *s = v;                                          \
        MOD##_##P##_free(s->p);                                         \
        fx_ctx_free(s->ctx);                                            \
        free(s);                                                        \
    }

/* A limit's state: a bump allocator and whatever the case's arg is. */
typedef struct bench_limit_st {
    bench_bump bump;
    const void *arg;
    void *extra;
} bench_limit_st;

static inline void *bench_limit_setup(const void *arg)
{
    bench_limit_st *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    bench_bump_init(&s->bump, 1 << 16);
    s->arg = arg;
    return s;
}

static inline void bench_limit_teardown(void *v)
{
    bench_limit_st *s = v;
    bench_bump_free(&s->bump);
    free(s);
}

#endif
