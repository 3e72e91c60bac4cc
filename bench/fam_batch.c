/* bench/fam_batch.c — Buffer and MapReduce. */
#include <stdatomic.h>
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

/* The API floor: bbatch_buffered_process written by hand (bench/harness.h).
 * Per batch of 100: a context check, then bbatch_twice through its ABI (a
 * view of the batch in, its output slice out; it takes that output from the
 * arena with fx_alloc). The result must be one [i64] in the arena: the
 * outputs are already one when each starts where the one before ended, the
 * first right after a one-byte fx_alloc mark taken before the first batch
 * (so all of them are this run's arena memory, not some other storage that
 * happens to be contiguous); then the result is a view of them. Otherwise
 * they are copied into an array from fx_alloc. */
enum { FLOOR_BATCH = 100, FLOOR_FEW_BATCHES = 16 };

static BENCH_FLOOR_FN int floor_buffer_process(bench_floor_st *p, fx_ctx *ctx, const fx_slice_i64 *in,
                                               fx_slice_i64 *out)
{
    if (p == NULL || ctx == NULL || in == NULL || out == NULL)
        return FX_EINVAL;
    const size_t n = in->len, nbatches = (n + FLOOR_BATCH - 1) / FLOOR_BATCH;
    if (nbatches == 0) {   /* no stage to check the context before */
        if (fx_ctx_done(ctx))
            return fx_ctx_err(ctx);
        *out = (fx_slice_i64){0};
        return 0;
    }
    fx_slice_i64 few[FLOOR_FEW_BATCHES];
    fx_slice_i64 *parts = nbatches <= FLOOR_FEW_BATCHES ? few : fx_alloc(ctx, nbatches * sizeof *parts);
    const char *mark = fx_alloc(ctx, 1);
    if (parts == NULL || mark == NULL)
        return FX_ENOMEM;
    fx_slice_i64 result = {0};
    bool in_place = true;                /* the outputs so far lie back to back after mark */
    uintptr_t end = (uintptr_t)mark + 1; /* where the next non-empty output must start */
    size_t total = 0;
    for (size_t b = 0; b < nbatches; b++) {
        const size_t off = b * FLOOR_BATCH, len = n - off < FLOOR_BATCH ? n - off : FLOOR_BATCH;
        if (fx_ctx_done(ctx))
            return fx_ctx_err(ctx);
        const fx_slice_i64 batch = {in->ptr + off, len};
        fx_slice_i64 part = {0};
        int rc = bbatch_twice(ctx, &batch, &part);
        if (rc != 0)   /* (fx_fail cannot set the record's index: the message carries the offset) */
            return fx_fail(ctx, FX_EBUFFER, "batch processing error at offset %zu", off);
        parts[b] = part;
        total += part.len;
        if (in_place && part.len > 0) {
            const uintptr_t start = (uintptr_t)(void *)part.ptr;
            if (result.ptr == NULL) {   /* the first: aligned up from the end of mark */
                in_place = start >= end && start - end < _Alignof(max_align_t);
                result.ptr = part.ptr;
            } else {
                in_place = start == end;
            }
            end = start + part.len * sizeof *part.ptr;
        }
    }
    if (in_place) {
        result.len = total;
        if (total == 0)
            result.ptr = NULL;
    } else {
        result.ptr = fx_alloc(ctx, total * sizeof *result.ptr);
        if (result.ptr == NULL)
            return FX_ENOMEM;
        for (size_t b = 0; b < nbatches; b++) {
            if (parts[b].len > 0)
                memcpy(result.ptr + result.len, parts[b].ptr, parts[b].len * sizeof *result.ptr);
            result.len += parts[b].len;
        }
    }
    *out = result;
    return 0;
}

static int floor_buffer_run(void *v, size_t n)
{
    bench_floor_st *s = v;
    const fx_slice_i64 in = {buf_in, ITEMS};
    for (size_t i = 0; i < n; i++) {
        fx_slice_i64 out = {0};
        if (floor_buffer_process(s, s->ctx, &in, &out) != 0 || out.len != ITEMS || out.ptr[999] != 1998)
            return 1;
        fx_ctx_reset(s->ctx);
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

/* The API floor: bbatch_wordcount1_process (and _2's, sequential: the map
 * work is a two-field store, less than any hand-off) written by hand
 * (bench/harness.h), doing what SPEC §5.4 asks of mapreduce. Per item: a
 * context check, then the very mapper, bbatch_word, into a KeyValue, whose
 * key an open-addressing table (FNV-1a, linear probing, at most half full)
 * numbers in order of first appearance. Then a counting sort puts each
 * group's values in one array (Group<str, i64> is a key and a slice), and
 * per group: a context check, the very reducer, bbatch_total, into the
 * result slot of that group. Every array is taken from the arena with
 * fx_alloc; the table starts at the size the last run ended with (an atomic
 * hint in the instance: a table kept there would need a claim protocol, as
 * an instance may be called from many threads at once). */

/* A slot: empty (0), or its group + 1 and the high half of the key's hash. */
typedef struct floor_slot {
    uint32_t group;
    uint32_t tag;
} floor_slot;

/* Distinct keys in order of first appearance: group g has key keys[g] and
 * count[g] values. Room for nslots / 2 groups. */
typedef struct floor_keys {
    const char **keys;
    size_t *count;
    floor_slot *slots;
    size_t len, mask;   /* mask = slots - 1, a power of two */
} floor_keys;

/* The floor's state, which is also its instance (the `p` its process
 * function takes). */
typedef struct floor_wc {
    fx_ctx *ctx;            /* the runner's context, reset per op */
    _Atomic size_t slots;   /* the slots the last run's table ended with */
} floor_wc;

static void *floor_wc_setup(const void *arg)
{
    (void)arg;
    floor_wc *s = calloc(1, sizeof *s);
    if (s != NULL && (s->ctx = fx_ctx_new()) == NULL) {
        free(s);
        return NULL;
    }
    return s;
}

static void floor_wc_teardown(void *v)
{
    floor_wc *s = v;
    fx_ctx_free(s->ctx);
    free(s);
}

static uint64_t floor_hash(const char *s)   /* FNV-1a; NULL (the zero str) is not "" */
{
    if (s == NULL)
        return 0;
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * UINT64_C(0x100000001b3);
    return h;
}

static int floor_keys_init(floor_keys *t, fx_ctx *ctx, size_t nslots)
{
    t->keys = fx_alloc(ctx, nslots / 2 * sizeof *t->keys);
    t->count = fx_alloc(ctx, nslots / 2 * sizeof *t->count);
    t->slots = fx_alloc(ctx, nslots * sizeof *t->slots);
    if (t->keys == NULL || t->count == NULL || t->slots == NULL)
        return FX_ENOMEM;
    memset(t->slots, 0, nslots * sizeof *t->slots);
    t->len = 0;
    t->mask = nslots - 1;
    return 0;
}

/* Twice the slots, the groups kept (a new table in the arena). */
static int floor_keys_grow(floor_keys *t, fx_ctx *ctx)
{
    floor_keys big;
    if (t->mask + 1 >= UINT32_MAX || floor_keys_init(&big, ctx, 2 * (t->mask + 1)) != 0)
        return FX_ENOMEM;
    memcpy(big.keys, t->keys, t->len * sizeof *t->keys);
    memcpy(big.count, t->count, t->len * sizeof *t->count);
    big.len = t->len;
    for (size_t s = 0; s <= t->mask; s++) {
        if (t->slots[s].group == 0)
            continue;
        size_t to = (size_t)floor_hash(t->keys[t->slots[s].group - 1]) & big.mask;
        while (big.slots[to].group != 0)
            to = (to + 1) & big.mask;
        big.slots[to] = t->slots[s];
    }
    *t = big;
    return 0;
}

/* A new group for key (hash h), the table grown first when it would be
 * more than half full: the group, or SIZE_MAX when it cannot grow. Out of
 * line: taken once per distinct key, it stays out of the per-item loop. */
static __attribute__((noinline)) size_t floor_keys_add(floor_keys *t, fx_ctx *ctx, const char *key, uint64_t h)
{
    if (2 * (t->len + 1) > t->mask + 1 && floor_keys_grow(t, ctx) != 0)
        return SIZE_MAX;
    size_t s = (size_t)h & t->mask;
    while (t->slots[s].group != 0)
        s = (s + 1) & t->mask;
    t->keys[t->len] = key;
    t->count[t->len] = 1;
    t->slots[s] = (floor_slot){(uint32_t)(t->len + 1), (uint32_t)(h >> 32)};
    return t->len++;
}

/* The group of key, one value more in it: an equal key's, or a new one.
 * SIZE_MAX when the table cannot grow. */
static inline size_t floor_keys_group(floor_keys *t, fx_ctx *ctx, const char *key)
{
    const uint64_t h = floor_hash(key);
    for (size_t s = (size_t)h & t->mask; t->slots[s].group != 0; s = (s + 1) & t->mask) {
        const size_t g = t->slots[s].group - 1;
        if (t->slots[s].tag == (uint32_t)(h >> 32) &&
            (t->keys[g] == key || (t->keys[g] != NULL && key != NULL && strcmp(t->keys[g], key) == 0))) {
            t->count[g]++;
            return g;
        }
    }
    return floor_keys_add(t, ctx, key, h);
}

/* The map phase and the shuffle: per item, a context check, the mapper,
 * its key numbered. */
static int floor_wc_map(fx_ctx *ctx, const char *const *items, size_t n, fx_kv_str_i64 *mapped, uint32_t *group_of,
                        floor_keys *keys)
{
    for (size_t i = 0; i < n; i++) {
        if (fx_ctx_done(ctx))
            return fx_ctx_err(ctx);
        int rc = bbatch_word(ctx, &items[i], &mapped[i]);
        if (rc != 0)
            return fx_fail(ctx, rc, "map phase failed at item %zu", i);
        const size_t g = floor_keys_group(keys, ctx, mapped[i].key);
        if (g == SIZE_MAX)
            return FX_ENOMEM;
        group_of[i] = (uint32_t)g;
    }
    return 0;
}

static BENCH_FLOOR_FN int floor_wc_process(floor_wc *p, fx_ctx *ctx, const fx_slice_str *in, fx_slice_kv_str_i64 *out)
{
    if (p == NULL || ctx == NULL || in == NULL || out == NULL)
        return FX_EINVAL;
    if (fx_ctx_done(ctx))   /* also for an empty input */
        return fx_ctx_err(ctx);
    const size_t n = in->len;
    if (n == 0) {
        *out = (fx_slice_kv_str_i64){0};
        return 0;
    }
    if (n >= UINT32_MAX)
        return FX_ENOMEM;

    /* the table: the last run's size, but no more than n keys can fill at load 1/2, and at least 8 */
    const size_t hint = atomic_load_explicit(&p->slots, memory_order_relaxed);
    size_t nslots = 8;
    while (nslots < hint && nslots / 2 < n)
        nslots *= 2;
    floor_keys keys;
    uint32_t *group_of = fx_alloc(ctx, n * sizeof *group_of);   /* item i's value went to group_of[i] */
    fx_kv_str_i64 *mapped = fx_alloc(ctx, n * sizeof *mapped);   /* what item i mapped to */
    if (group_of == NULL || mapped == NULL || floor_keys_init(&keys, ctx, nslots) != 0)
        return FX_ENOMEM;

    int rc = floor_wc_map(ctx, in->ptr, n, mapped, group_of, &keys);
    if (rc != 0)
        return rc;
    atomic_store_explicit(&p->slots, keys.mask + 1, memory_order_relaxed);

    /* the groups: each one's values together, in arrival order (a counting sort) */
    fx_group_str_i64 *groups = fx_alloc(ctx, keys.len * sizeof *groups);
    int64_t *values = fx_alloc(ctx, n * sizeof *values);
    fx_kv_str_i64 *reduced = fx_alloc(ctx, keys.len * sizeof *reduced);
    if (groups == NULL || values == NULL || reduced == NULL)
        return FX_ENOMEM;
    for (size_t g = 0, start = 0; g < keys.len; g++) {
        groups[g] = (fx_group_str_i64){keys.keys[g], {values + start, keys.count[g]}};
        start += keys.count[g];
        keys.count[g] = start - keys.count[g];   /* now where group g's next value goes */
    }
    for (size_t i = 0; i < n; i++)
        values[keys.count[group_of[i]]++] = mapped[i].value;

    /* reduce phase: the reducer per group, output in order of first appearance */
    for (size_t g = 0; g < keys.len; g++) {
        if (fx_ctx_done(ctx))
            return fx_ctx_err(ctx);
        rc = bbatch_total(ctx, &groups[g], &reduced[g]);
        if (rc != 0)
            return fx_fail(ctx, rc, "reduce phase failed at group %zu", g);
    }
    *out = (fx_slice_kv_str_i64){reduced, keys.len};
    return 0;
}

static int floor_wc_run(void *v, size_t n)
{
    floor_wc *s = v;
    const fx_slice_str in = {lines, ITEMS};
    for (size_t i = 0; i < n; i++) {
        fx_slice_kv_str_i64 out = {0};
        if (floor_wc_process(s, s->ctx, &in, &out) != 0 || (i == 0 && check_counts(out.ptr, out.len) != 0) ||
            out.len != 100)
            return 1;
        fx_ctx_reset(s->ctx);
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
        .floor = {bench_floor_setup, floor_buffer_run, bench_floor_teardown},
        .limit_note = "a loop of 10 direct batch calls into one output array",
        .floor_note = "10 × (ctx check, the batch stage, which fx_allocs its output); the outputs, back to back "
                      "after a 1-byte fx_alloc mark, viewed as the result (else copied); fx_ctx_reset per op",
        .go_fluxus_ns = 5516,
    });
    bench_add(&(bench_case){
        .name = "MapReduce/par-1",
        .what = "word count: mapreduce({line, 1}, sum) over 1000 lines of 100 keys, parallelism 1",
        .fluxus = FX(wordcount1),
        .limit = {limit_wc_setup, limit_wc_run, limit_wc_teardown},
        .floor = {floor_wc_setup, floor_wc_run, floor_wc_teardown},
        .limit_note = "one pass with a hand-written hash table",
        .floor_note = "sequential; per item: ctx check, the mapper into a KeyValue, its key numbered by a hash "
                      "table; a counting sort into the groups' value arrays; per group: ctx check, the reducer; "
                      "all in fx_alloc memory (the table sized by the last run); fx_ctx_reset per op",
    });
    bench_add(&(bench_case){
        .name = "MapReduce/par-2",
        .what = "the same, parallelism 2",
        .fluxus = FX(wordcount2),
        .limit = {limit_wc_setup, limit_wc_run, limit_wc_teardown},
        .floor = {floor_wc_setup, floor_wc_run, floor_wc_teardown},
        .limit_note = "one pass with a hand-written hash table (sequential: the map work is a store)",
        .floor_note = "par-1's floor: the same sequential work (the map work is a store, less than a hand-off)",
    });
}
