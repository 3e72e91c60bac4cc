/* bench/fam_batch.c — Buffer and MapReduce. */
#include <stdio.h>
#include <string.h>

#include "bbatch.h"
#include "glue.h"
#include "work.h"

#define ITEMS 1000
static int64_t buf_in[ITEMS];
static const char *lines[ITEMS];
static char line_text[ITEMS][16];

BENCH_PIPE(bbatch, buffered, NULL)
BENCH_PIPE(bbatch, wordcount1, NULL)
BENCH_PIPE(bbatch, wordcount2, NULL)

/* ---------------------------------------------------------------- Buffer */

static int fx_buffered_run(void *v, size_t n)
{
    bbatch_buffered_st *s = v;
    const fx_slice_i64 in = {buf_in, ITEMS};
    for (size_t i = 0; i < n; i++) {
        fx_slice_i64 out = {0};
        if (bbatch_buffered_process(s->p, s->ctx, &in, &out) != 0 || out.len != ITEMS || out.ptr[999] != 1998)
            return 1;
        fx_ctx_reset(s->ctx);
    }
    return 0;
}

static int limit_buffer_run(void *v, size_t n)
{
    bench_limit_st *s = v;
    for (size_t i = 0; i < n; i++) {
        int64_t *out = bench_bump_alloc(&s->bump, ITEMS * sizeof *out);
        for (size_t off = 0; off < ITEMS; off += 100)
            work_double(buf_in + off, 100, out + off);
        if (out[999] != 1998)
            return 1;
        bench_bump_reset(&s->bump);
    }
    return 0;
}

/* ---------------------------------------------------------------- MapReduce */

static int check_counts(const fx_kv_str_i64 *kv, size_t k)
{
    int64_t total = 0;
    for (size_t i = 0; i < k; i++)
        total += kv[i].value;
    return k == 100 && total == ITEMS && strcmp(kv[0].key, lines[0]) == 0 ? 0 : 1;
}

#define WC(P)                                                                       \
    static int fx_##P##_run(void *v, size_t n)                                      \
    {                                                                               \
        bbatch_##P##_st *s = v;                                                     \
        const fx_slice_str in = {lines, ITEMS};                                     \
        for (size_t i = 0; i < n; i++) {                                            \
            fx_slice_kv_str_i64 out = {0};                                          \
            if (bbatch_##P##_process(s->p, s->ctx, &in, &out) != 0 ||               \
                (i == 0 && check_counts(out.ptr, out.len) != 0) || out.len != 100)  \
                return 1;                                                           \
            fx_ctx_reset(s->ctx);                                                   \
        }                                                                           \
        return 0;                                                                   \
    }
WC(wordcount1)
WC(wordcount2)

typedef struct wc_limit {
    work_wc *t;
    work_kv out[ITEMS];
} wc_limit;

static void *limit_wc_setup(const void *arg)
{
    (void)arg;
    wc_limit *s = calloc(1, sizeof *s);
    if (s != NULL && (s->t = work_wc_new()) == NULL) {
        free(s);
        return NULL;
    }
    return s;
}

static void limit_wc_teardown(void *v)
{
    wc_limit *s = v;
    work_wc_free(s->t);
    free(s);
}

static int limit_wc_run(void *v, size_t n)
{
    wc_limit *s = v;
    for (size_t i = 0; i < n; i++) {
        size_t k = work_wordcount(s->t, lines, ITEMS, s->out);
        if (k != 100 || (i == 0 && check_counts((const fx_kv_str_i64 *)(const void *)s->out, k) != 0))
            return 1;
    }
    return 0;
}

#define FX(P) {bbatch_##P##_setup, fx_##P##_run, bbatch_##P##_teardown}

void bench_register_batch(void)
{
    for (int i = 0; i < ITEMS; i++) {
        buf_in[i] = i;
        /* go-fluxus: fmt.Sprintf("key_%d", rand.Intn(100)); here a fixed permutation */
        snprintf(line_text[i], sizeof line_text[i], "key_%d", (i * 37 + 11) % 100);
        lines[i] = line_text[i];
    }
    bench_add(&(bench_case){
        .name = "Buffer",
        .what = "buffer(batch of 100 doubled) over 1000 i64",
        .fluxus = FX(buffered),
        .limit = {bench_limit_setup, limit_buffer_run, bench_limit_teardown},
        .limit_note = "a loop of 10 direct batch calls into one output array",
        .go_fluxus_ns = 5516,
    });
    bench_add(&(bench_case){
        .name = "MapReduce/par-1",
        .what = "word count: mapreduce({line, 1}, sum) over 1000 lines of 100 keys, parallelism 1",
        .fluxus = FX(wordcount1),
        .limit = {limit_wc_setup, limit_wc_run, limit_wc_teardown},
        .limit_note = "one pass with a hand-written hash table",
    });
    bench_add(&(bench_case){
        .name = "MapReduce/par-2",
        .what = "the same, parallelism 2",
        .fluxus = FX(wordcount2),
        .limit = {limit_wc_setup, limit_wc_run, limit_wc_teardown},
        .limit_note = "one pass with a hand-written hash table (sequential: the map work is a store)",
    });
}
