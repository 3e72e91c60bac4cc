/* bench/batch_stages.c — the stages of batch.fx and the same work as plain
 * functions (work.h) for the limit. */
#include <stdlib.h>
#include <string.h>

#include "bbatch.h"
#include "work.h"

/* ---------------------------------------------------------------- the work */

static inline void double_into(const int64_t *in, size_t n, int64_t *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = in[i] * 2;
}

void work_double(const int64_t *in, size_t n, int64_t *out) { double_into(in, n, out); }

/* A hand-written word count: open addressing over FNV-1a, cleared by a
 * generation number so a run costs nothing to reset. */
#define WC_SLOTS 1024
struct work_wc {
    unsigned gen;
    struct {
        unsigned gen;
        uint64_t hash;
        size_t index;   /* into out */
    } slot[WC_SLOTS];
};

work_wc *work_wc_new(void) { return calloc(1, sizeof(work_wc)); }
void work_wc_free(work_wc *t) { free(t); }

size_t work_wordcount(work_wc *t, const char *const *lines, size_t n, work_kv *out)
{
    size_t k = 0;
    t->gen++;
    for (size_t i = 0; i < n; i++) {
        uint64_t h = 1469598103934665603u;
        for (const char *p = lines[i]; *p; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211u;
        size_t s = (size_t)h & (WC_SLOTS - 1);
        for (;;) {
            if (t->slot[s].gen != t->gen) {   /* new key */
                t->slot[s].gen = t->gen;
                t->slot[s].hash = h;
                t->slot[s].index = k;
                out[k].key = lines[i];
                out[k].value = 1;
                k++;
                break;
            }
            if (t->slot[s].hash == h && strcmp(out[t->slot[s].index].key, lines[i]) == 0) {
                out[t->slot[s].index].value++;
                break;
            }
            s = (s + 1) & (WC_SLOTS - 1);
        }
    }
    return k;
}

/* ---------------------------------------------------------------- fluxus stages */

int bbatch_twice(fx_ctx *ctx, const fx_slice_i64 *in, fx_slice_i64 *out)
{
    int64_t *d = fx_alloc(ctx, in->len * sizeof *d);
    if (d == NULL)
        return FX_ENOMEM;
    double_into(in->ptr, in->len, d);
    out->ptr = d;
    out->len = in->len;
    return 0;
}

int bbatch_word(fx_ctx *ctx, const char *const *in, fx_kv_str_i64 *out)
{
    (void)ctx;
    out->key = *in;
    out->value = 1;
    return 0;
}

int bbatch_total(fx_ctx *ctx, const fx_group_str_i64 *in, fx_kv_str_i64 *out)
{
    (void)ctx;
    int64_t sum = 0;
    for (size_t i = 0; i < in->values.len; i++)
        sum += in->values.ptr[i];
    out->key = in->key;
    out->value = sum;
    return 0;
}
