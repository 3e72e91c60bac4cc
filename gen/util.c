/* util.c — allocation, buffers, vectors, interned strings, edit distance. */
#include <stdlib.h>
#include <string.h>

#include "fluxc.h"

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fputs("fluxc: out of memory\n", stderr);
        abort();
    }
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        fputs("fluxc: out of memory\n", stderr);
        abort();
    }
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fputs("fluxc: out of memory\n", stderr);
        abort();
    }
    return q;
}

char *xstrndup(const char *s, size_t n)
{
    char *d = xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

/* ---------------------------------------------------------------- Buf */

void buf_init(Buf *b)
{
    b->cap = 64;
    b->len = 0;
    b->data = xmalloc(b->cap);
    b->data[0] = '\0';
}

void buf_free(Buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

static void buf_reserve(Buf *b, size_t extra)
{
    if (!b->data)
        buf_init(b);
    if (b->len + extra + 1 <= b->cap)
        return;
    while (b->len + extra + 1 > b->cap)
        b->cap *= 2;
    b->data = xrealloc(b->data, b->cap);
}

void buf_putn(Buf *b, const char *s, size_t n)
{
    buf_reserve(b, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void buf_putc(Buf *b, char c)
{
    buf_putn(b, &c, 1);
}

void buf_puts(Buf *b, const char *s)
{
    buf_putn(b, s, strlen(s));
}

void buf_vprintf(Buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return;
    buf_reserve(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void buf_printf(Buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
}

/* ---------------------------------------------------------------- Vec */

void vec_push(Vec *v, void *item)
{
    if (v->len == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 8;
        v->items = xrealloc(v->items, v->cap * sizeof *v->items);
    }
    v->items[v->len++] = item;
}

void vec_free(Vec *v)
{
    free(v->items);
    v->items = NULL;
    v->len = v->cap = 0;
}

/* ---------------------------------------------------------------- interning */

/* Open addressing on (text, length); entries own their text. */
typedef struct InternTable {
    char **slots;
    size_t *lens;
    size_t cap, count;
} InternTable;

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;   /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

static void intern_grow(InternTable *t)
{
    size_t ncap = t->cap ? t->cap * 2 : 256;
    char **slots = xcalloc(ncap, sizeof *slots);
    size_t *lens = xcalloc(ncap, sizeof *lens);
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->slots[i])
            continue;
        size_t j = hash_bytes(t->slots[i], t->lens[i]) & (ncap - 1);
        while (slots[j])
            j = (j + 1) & (ncap - 1);
        slots[j] = t->slots[i];
        lens[j] = t->lens[i];
    }
    free(t->slots);
    free(t->lens);
    t->slots = slots;
    t->lens = lens;
    t->cap = ncap;
}

const char *intern(Compiler *c, const char *s, size_t n)
{
    if (!c->strings)
        c->strings = xcalloc(1, sizeof *c->strings);
    InternTable *t = c->strings;
    if ((t->count + 1) * 2 > t->cap)
        intern_grow(t);
    size_t j = hash_bytes(s, n) & (t->cap - 1);
    while (t->slots[j]) {
        if (t->lens[j] == n && memcmp(t->slots[j], s, n) == 0)
            return t->slots[j];
        j = (j + 1) & (t->cap - 1);
    }
    t->slots[j] = xstrndup(s, n);
    t->lens[j] = n;
    t->count++;
    return t->slots[j];
}

const char *intern_cstr(Compiler *c, const char *s)
{
    return intern(c, s, strlen(s));
}

void intern_free(InternTable *t);
void intern_free(InternTable *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->cap; i++)
        free(t->slots[i]);
    free(t->slots);
    free(t->lens);
    free(t);
}

/* ---------------------------------------------------------------- StrMap */

static size_t strmap_slot(const StrMap *m, const char *key)
{
    size_t j = hash_bytes(key, strlen(key)) & (m->cap - 1);
    while (m->keys[j] != NULL && strcmp(m->keys[j], key) != 0)
        j = (j + 1) & (m->cap - 1);
    return j;
}

void *strmap_get(const StrMap *m, const char *key)
{
    if (m->cap == 0)
        return NULL;
    size_t j = strmap_slot(m, key);
    return m->keys[j] != NULL ? m->values[j] : NULL;
}

void strmap_put(StrMap *m, const char *key, void *value)
{
    if ((m->count + 1) * 2 > m->cap) {
        StrMap bigger = {0};
        bigger.cap = m->cap ? m->cap * 2 : 64;
        bigger.keys = xcalloc(bigger.cap, sizeof *bigger.keys);
        bigger.values = xcalloc(bigger.cap, sizeof *bigger.values);
        for (size_t i = 0; i < m->cap; i++)
            if (m->keys[i] != NULL) {
                size_t j = strmap_slot(&bigger, m->keys[i]);
                bigger.keys[j] = m->keys[i];
                bigger.values[j] = m->values[i];
                bigger.count++;
            }
        strmap_free(m);
        *m = bigger;
    }
    size_t j = strmap_slot(m, key);
    if (m->keys[j] == NULL) {
        m->keys[j] = key;
        m->count++;
    }
    m->values[j] = value;
}

void strmap_free(StrMap *m)
{
    free(m->keys);
    free(m->values);
    m->keys = NULL;
    m->values = NULL;
    m->cap = m->count = 0;
}

/* ---------------------------------------------------------------- misc */

size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return (size_t)-1;
    /* optimal string alignment distance: a swap of two neighbours costs 1 */
    size_t d[65][65];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = d[i - 1][j - 1] + cost;
            if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

Loc loc_join(Loc a, Loc b)
{
    Loc l = a;
    if (b.p + b.len > a.p)
        l.len = (unsigned)(b.p + b.len - a.p);
    return l;
}

const char *loc_text(Compiler *c, Loc l)
{
    Buf b;
    buf_init(&b);
    bool space = false;
    for (unsigned i = 0; i < l.len; i++) {
        char ch = l.p[i];
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
            space = true;
            continue;
        }
        if (space && b.len > 0)
            buf_putc(&b, ' ');
        space = false;
        buf_putc(&b, ch);
    }
    const char *s = intern(c, b.data, b.len);
    buf_free(&b);
    return s;
}
