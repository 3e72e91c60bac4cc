/* otlp.c — the OpenTelemetry exporter: an fx_tracer recording spans in
 * memory, a bounded queue of ended spans, and a thread that encodes them as
 * OTLP/JSON ExportTraceServiceRequest and writes them to a file or POSTs
 * them with libcurl.
 *
 * A span is mutated under its own mutex (attributes and events can come
 * from branch threads while the combinator's span is current on their
 * parent context); its ids are immutable after start, so children read
 * them without locking. Queue fields are guarded by o->mu.
 *
 * Nothing is allocated per span in steady state: an exported (or dropped)
 * span goes back to a pool with every buffer it grew — attribute and event
 * arrays, the strings in them — and the next span reuses them; the export
 * thread encodes into one growing buffer it keeps. */
#include "internal.h"

#include <fluxus/otlp.h>

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------ spans */

typedef enum { ATTR_STR, ATTR_INT, ATTR_DOUBLE, ATTR_BOOL } attr_kind;

/* A string buffer kept between uses: reused while it is big enough. */
typedef struct buf {
    char *p;
    size_t cap;
} buf;

typedef struct attr {
    buf key;
    attr_kind kind;
    buf s;                      /* ATTR_STR's value */
    int64_t i;
    double d;
    bool b;
} attr;

/* v[0..n) are set; v[n..cap) keep their buffers for the next use. */
typedef struct attrs {
    attr *v;
    size_t n, cap;
} attrs;

typedef struct event {
    buf name;
    int64_t time;
    attrs at;
} event;

typedef struct span {
    struct fx_otlp *o;
    struct span *next_free;                           /* in o->pool */
    uint8_t trace_id[16], span_id[8], parent_id[8];   /* immutable after start */
    bool has_parent;
    uint8_t flags;                                    /* bit 0: sampled */
    pthread_mutex_t mu;                               /* everything below */
    buf name;
    int64_t start, end;                               /* unix ns */
    attrs at;
    event *ev;                                        /* ev[0..nev) set; up to evcap kept */
    size_t nev, evcap;
    int status;                                       /* 0 unset, 1 ok, 2 error */
    bool has_status_msg;
    buf status_msg;
} span;

struct fx_otlp {
    fx_tracer tracer;                  /* user = this */
    char *service;
    char *url;                         /* endpoint mode */
    FILE *file;                        /* file mode; only the thread writes */
    const fx_clock *clock;
    int64_t unix_offset;               /* unix ns = fx_clock_now(clock) + offset */
    int64_t interval_ns, timeout_ns;
    size_t batch;
    atomic_uint_fast64_t seq;          /* id generator state */
    uint64_t seed;

    pthread_mutex_t pool_mu;
    span *pool;                        /* pool_mu: spans to reuse */

    pthread_mutex_t mu;
    pthread_cond_t wake;               /* CLOCK_MONOTONIC: spans queued, flush, stop */
    pthread_cond_t done;               /* a batch finished */
    span **q;                          /* ring: mu */
    size_t cap, head, count;           /* mu */
    uint64_t enqueued, processed;      /* mu: spans accepted / exported-or-failed */
    bool flush_now, stop;              /* mu */
    bool failed_since_flush;           /* mu */
    fx_otlp_stats stats;               /* mu */
    pthread_t thread;
};

static int64_t now_unix(const fx_otlp *o) { return fx_clock_now(o->clock) + o->unix_offset; }

static char *xstrdup(const char *s)
{
    s = s != NULL ? s : "";
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d != NULL) memcpy(d, s, n);
    return d;
}

/* Copies s (NULL = "") into b, growing it only when it is too small. */
static bool buf_set(buf *b, const char *s)
{
    s = s != NULL ? s : "";
    size_t n = strlen(s) + 1;
    if (n > b->cap) {
        size_t cap = n < 32 ? 32 : n;
        char *p = realloc(b->p, cap);
        if (p == NULL) return false;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p, s, n);
    return true;
}

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* Random, non-zero ids (W3C forbids all-zero). Lock-free. */
static void random_bytes(fx_otlp *o, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i += 8) {
        uint64_t r;
        do r = splitmix64(o->seed ^ atomic_fetch_add_explicit(&o->seq, 1, memory_order_relaxed));
        while (r == 0);
        for (size_t k = 0; k < 8 && i + k < n; k++) out[i + k] = (uint8_t)(r >> (8 * k));
    }
}

static void attrs_destroy(attrs *a)
{
    for (size_t i = 0; i < a->cap; i++) {
        free(a->v[i].key.p);
        free(a->v[i].s.p);
    }
    free(a->v);
}

/* The slot for key (replacing an earlier value, as OpenTelemetry does), or
 * NULL on OOM. */
static attr *attrs_slot(attrs *a, const char *key)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->v[i].key.p, key) == 0) return &a->v[i];
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 8;
        attr *v = realloc(a->v, cap * sizeof *v);
        if (v == NULL) return NULL;
        memset(v + a->cap, 0, (cap - a->cap) * sizeof *v);   /* no buffers yet */
        a->v = v;
        a->cap = cap;
    }
    attr *at = &a->v[a->n];
    if (!buf_set(&at->key, key)) return NULL;
    a->n++;
    return at;
}

static void attrs_put_str(attrs *a, const char *key, const char *v)
{
    attr *at = attrs_slot(a, key);
    if (at == NULL) return;
    at->kind = buf_set(&at->s, v) ? ATTR_STR : ATTR_BOOL;   /* OOM: keep a valid value */
}

static void attrs_put_int(attrs *a, const char *key, int64_t v)
{
    attr *at = attrs_slot(a, key);
    if (at == NULL) return;
    at->kind = ATTR_INT;
    at->i = v;
}

static void span_destroy(span *s)
{
    attrs_destroy(&s->at);
    for (size_t i = 0; i < s->evcap; i++) {
        free(s->ev[i].name.p);
        attrs_destroy(&s->ev[i].at);
    }
    free(s->ev);
    free(s->name.p);
    free(s->status_msg.p);
    FX__MUST(pthread_mutex_destroy(&s->mu));
    free(s);
}

/* Gives spans back to the pool (any thread). */
static void spans_recycle(fx_otlp *o, span *const *spans, size_t n)
{
    if (n == 0) return;
    FX__MUST(pthread_mutex_lock(&o->pool_mu));
    for (size_t i = 0; i < n; i++) {
        spans[i]->next_free = o->pool;
        o->pool = spans[i];
    }
    FX__MUST(pthread_mutex_unlock(&o->pool_mu));
}

static void span_recycle(span *s) { spans_recycle(s->o, &s, 1); }

/* A new event on s (mu held), or NULL on OOM. */
static event *span_event(span *s, const char *name)
{
    if (s->nev == s->evcap) {
        size_t cap = s->evcap ? s->evcap * 2 : 4;
        event *v = realloc(s->ev, cap * sizeof *v);
        if (v == NULL) return NULL;
        memset(v + s->evcap, 0, (cap - s->evcap) * sizeof *v);
        s->ev = v;
        s->evcap = cap;
    }
    event *e = &s->ev[s->nev];
    if (!buf_set(&e->name, name)) return NULL;
    e->at.n = 0;
    e->time = now_unix(s->o);
    s->nev++;
    return e;
}

/* ------------------------------------------------------------ tracer callbacks */

/* A span from the pool (or a new one), reset for c. NULL on OOM. */
static span *span_new(fx_otlp *o, const fx_component *c)
{
    FX__MUST(pthread_mutex_lock(&o->pool_mu));
    span *s = o->pool;
    if (s != NULL) o->pool = s->next_free;
    FX__MUST(pthread_mutex_unlock(&o->pool_mu));
    if (s == NULL) {
        s = calloc(1, sizeof *s);
        if (s == NULL) return NULL;
        s->o = o;
        FX__MUST(pthread_mutex_init(&s->mu, NULL));
    }
    s->next_free = NULL;
    s->has_parent = false;
    s->flags = 0;
    s->at.n = 0;
    s->nev = 0;
    s->status = 0;
    s->has_status_msg = false;
    s->end = 0;
    if (!buf_set(&s->name, c->name)) {
        span_recycle(s);
        return NULL;
    }
    random_bytes(o, s->span_id, 8);
    s->start = now_unix(o);
    if (c->module != NULL) attrs_put_str(&s->at, "fluxus.module", c->module);
    if (c->pipeline != NULL) attrs_put_str(&s->at, "fluxus.pipeline", c->pipeline);
    static const char *const kinds[] = {"pipeline", "stage", "chain", "combinator"};
    if ((unsigned)c->kind < 4) attrs_put_str(&s->at, "fluxus.component.kind", kinds[c->kind]);
    return s;
}

static void *t_start(void *user, void *parent, const fx_component *c)
{
    fx_otlp *o = user;
    span *s = span_new(o, c);
    if (s == NULL) return NULL;
    const span *p = parent;
    if (p != NULL) {
        memcpy(s->trace_id, p->trace_id, 16);
        memcpy(s->parent_id, p->span_id, 8);
        s->has_parent = true;
        s->flags = p->flags;
    } else {
        random_bytes(o, s->trace_id, 16);
        s->flags = 1;
    }
    return s;
}

static void *t_start_remote(void *user, const fx_span_context *remote, const fx_component *c)
{
    span *s = span_new(user, c);
    if (s == NULL) return NULL;
    memcpy(s->trace_id, remote->trace_id, 16);
    memcpy(s->parent_id, remote->span_id, 8);
    s->has_parent = true;
    s->flags = remote->flags;
    return s;
}

static void t_attr(void *user, void *sp, const char *key, const char *value)
{
    (void)user;
    span *s = sp;
    FX__MUST(pthread_mutex_lock(&s->mu));
    attrs_put_str(&s->at, key, value);
    FX__MUST(pthread_mutex_unlock(&s->mu));
}

static void t_attr_int(void *user, void *sp, const char *key, int64_t value)
{
    (void)user;
    span *s = sp;
    FX__MUST(pthread_mutex_lock(&s->mu));
    attrs_put_int(&s->at, key, value);
    FX__MUST(pthread_mutex_unlock(&s->mu));
}

static void t_attr_double(void *user, void *sp, const char *key, double value)
{
    (void)user;
    span *s = sp;
    FX__MUST(pthread_mutex_lock(&s->mu));
    attr *at = attrs_slot(&s->at, key);
    if (at != NULL) {
        at->kind = ATTR_DOUBLE;
        at->d = value;
    }
    FX__MUST(pthread_mutex_unlock(&s->mu));
}

static void t_attr_bool(void *user, void *sp, const char *key, bool value)
{
    (void)user;
    span *s = sp;
    FX__MUST(pthread_mutex_lock(&s->mu));
    attr *at = attrs_slot(&s->at, key);
    if (at != NULL) {
        at->kind = ATTR_BOOL;
        at->b = value;
    }
    FX__MUST(pthread_mutex_unlock(&s->mu));
}

/* "FX_ETIMEOUT" for runtime codes, "application_error" for positive ones. */
static const char *code_type(int code)
{
    static const char *const names[] = {
        "",
#define FX__XX(name, text) "FX_" #name,
        FX_ERRNO_MAP(FX__XX)
#undef FX__XX
    };
    if (code > 0) return "application_error";
    if (code < 0 && -code < FX__ERRNO_INDEX_END) return names[-code];
    return "unknown_error";
}

static void t_error(void *user, void *sp, int code, const char *message)
{
    (void)user;
    span *s = sp;
    FX__MUST(pthread_mutex_lock(&s->mu));
    s->status = 2;
    s->has_status_msg = buf_set(&s->status_msg, message);
    attrs_put_int(&s->at, "fluxus.error.code", code);
    event *e = span_event(s, "exception");
    if (e != NULL) {
        attrs_put_str(&e->at, "exception.type", code_type(code));
        attrs_put_str(&e->at, "exception.message", message);
    }
    FX__MUST(pthread_mutex_unlock(&s->mu));
}

static void t_event(void *user, void *sp, const fx_event *ev)
{
    (void)user;
    span *s = sp;
    FX__MUST(pthread_mutex_lock(&s->mu));
    event *e = span_event(s, fx_event_name(ev->kind));
    if (e != NULL) {
        if (ev->component != NULL && ev->component->name != NULL)
            attrs_put_str(&e->at, "fluxus.component", ev->component->name);
        attrs_put_int(&e->at, "fluxus.event.value", ev->value);
        attrs_put_int(&e->at, "fluxus.event.index", ev->index);
        attrs_put_int(&e->at, "fluxus.event.code", ev->code);
    }
    FX__MUST(pthread_mutex_unlock(&s->mu));
}

static bool t_context(void *user, void *sp, fx_span_context *out)
{
    (void)user;
    const span *s = sp;
    memcpy(out->trace_id, s->trace_id, 16);
    memcpy(out->span_id, s->span_id, 8);
    out->flags = s->flags;
    return true;
}

static void t_end(void *user, void *sp)
{
    fx_otlp *o = user;
    span *s = sp;
    FX__MUST(pthread_mutex_lock(&s->mu));
    s->end = now_unix(o);
    if (s->status == 0) s->status = 1;
    FX__MUST(pthread_mutex_unlock(&s->mu));
    if (!(s->flags & 1)) {              /* unsampled: ids only, never exported */
        span_recycle(s);
        return;
    }
    FX__MUST(pthread_mutex_lock(&o->mu));
    o->stats.spans_ended++;
    if (o->count == o->cap) {
        o->stats.spans_dropped++;
        FX__MUST(pthread_mutex_unlock(&o->mu));
        span_recycle(s);
        return;
    }
    o->q[(o->head + o->count) % o->cap] = s;
    o->count++;
    o->enqueued++;
    if (o->count >= o->batch) FX__MUST(pthread_cond_signal(&o->wake));
    FX__MUST(pthread_mutex_unlock(&o->mu));
}

/* ------------------------------------------------------------ JSON */

/* The request being encoded: one buffer the export thread keeps and
 * reuses, grown when a batch needs more. */
typedef struct out {
    char *p;
    size_t n, cap;
    bool oom;
} out;

static bool out_room(out *b, size_t more)
{
    if (b->oom) return false;
    if (b->cap - b->n >= more) return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->n < more) cap *= 2;
    char *p = realloc(b->p, cap);
    if (p == NULL) {
        b->oom = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

static void put_mem(out *b, const char *s, size_t n)
{
    if (!out_room(b, n)) return;
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

static void put_s(out *b, const char *s) { put_mem(b, s, strlen(s)); }

static void put_c(out *b, char c) { put_mem(b, &c, 1); }

static void put_i64(out *b, int64_t v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%lld", (long long)v);
    if (n > 0) put_mem(b, tmp, (size_t)n);
}

static void json_str(out *b, const char *s)
{
    put_c(b, '"');
    const char *run = s;   /* bytes that need no escape go in one copy */
    for (const unsigned char *p = (const unsigned char *)s;; p++) {
        unsigned char c = *p;
        if (c != 0 && c >= 0x20 && c != '"' && c != '\\') continue;
        put_mem(b, run, (size_t)((const char *)p - run));
        if (c == 0) break;
        switch (c) {
        case '"': put_s(b, "\\\""); break;
        case '\\': put_s(b, "\\\\"); break;
        case '\n': put_s(b, "\\n"); break;
        case '\r': put_s(b, "\\r"); break;
        case '\t': put_s(b, "\\t"); break;
        default: {
            char esc[8];
            snprintf(esc, sizeof esc, "\\u%04x", c);
            put_s(b, esc);
        }
        }
        run = (const char *)p + 1;
    }
    put_c(b, '"');
}

static void json_hex(out *b, const uint8_t *v, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    char tmp[2 * 16 + 2];
    size_t k = 0;
    tmp[k++] = '"';
    for (size_t i = 0; i < n && i < 16; i++) {
        tmp[k++] = digits[v[i] >> 4];
        tmp[k++] = digits[v[i] & 15];
    }
    tmp[k++] = '"';
    put_mem(b, tmp, k);
}

static void json_attrs(out *b, const attrs *a)
{
    put_c(b, '[');
    for (size_t i = 0; i < a->n; i++) {
        const attr *at = &a->v[i];
        if (i > 0) put_c(b, ',');
        put_s(b, "{\"key\":");
        json_str(b, at->key.p);
        put_s(b, ",\"value\":{");
        switch (at->kind) {
        case ATTR_STR:
            put_s(b, "\"stringValue\":");
            json_str(b, at->s.p);
            break;
        case ATTR_INT:
            put_s(b, "\"intValue\":\"");
            put_i64(b, at->i);
            put_c(b, '"');
            break;
        case ATTR_DOUBLE: {
            char tmp[64];
            int n = snprintf(tmp, sizeof tmp, "\"doubleValue\":%.6f", at->d);
            if (n > 0) put_mem(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
            break;
        }
        case ATTR_BOOL: put_s(b, at->b ? "\"boolValue\":true" : "\"boolValue\":false"); break;
        }
        put_s(b, "}}");
    }
    put_c(b, ']');
}

static void json_span(out *b, const span *s)
{
    put_s(b, "{\"traceId\":");
    json_hex(b, s->trace_id, 16);
    put_s(b, ",\"spanId\":");
    json_hex(b, s->span_id, 8);
    if (s->has_parent) {
        put_s(b, ",\"parentSpanId\":");
        json_hex(b, s->parent_id, 8);
    }
    put_s(b, ",\"name\":");
    json_str(b, s->name.p);
    put_s(b, ",\"kind\":1,\"startTimeUnixNano\":\"");
    put_i64(b, s->start);
    put_s(b, "\",\"endTimeUnixNano\":\"");
    put_i64(b, s->end);
    put_s(b, "\",\"attributes\":");
    json_attrs(b, &s->at);
    put_s(b, ",\"events\":[");
    for (size_t i = 0; i < s->nev; i++) {
        if (i > 0) put_c(b, ',');
        put_s(b, "{\"timeUnixNano\":\"");
        put_i64(b, s->ev[i].time);
        put_s(b, "\",\"name\":");
        json_str(b, s->ev[i].name.p);
        put_s(b, ",\"attributes\":");
        json_attrs(b, &s->ev[i].at);
        put_c(b, '}');
    }
    put_s(b, "],\"status\":{\"code\":");
    put_i64(b, s->status);
    if (s->status == 2 && s->has_status_msg) {
        put_s(b, ",\"message\":");
        json_str(b, s->status_msg.p);
    }
    put_s(b, "}}");
}

/* One ExportTraceServiceRequest for spans[0..n) into b (emptied first), no
 * newline. false on OOM. */
static bool encode(const fx_otlp *o, span *const *spans, size_t n, out *b)
{
    b->n = 0;
    b->oom = false;
    put_s(b, "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":");
    json_str(b, o->service);
    put_s(b, "}},{\"key\":\"telemetry.sdk.name\",\"value\":{\"stringValue\":\"fluxus\"}},"
             "{\"key\":\"telemetry.sdk.language\",\"value\":{\"stringValue\":\"c\"}}]},"
             "\"scopeSpans\":[{\"scope\":{\"name\":\"fluxus\",\"version\":\"" FX_VERSION_STRING "\"},\"spans\":[");
    for (size_t i = 0; i < n; i++) {
        if (i > 0) put_c(b, ',');
        json_span(b, spans[i]);
    }
    put_s(b, "]}]}]}");
    return !b->oom;
}

/* ------------------------------------------------------------ export thread */

static size_t discard(char *p, size_t size, size_t n, void *u)
{
    (void)p, (void)u;
    return size * n;
}

/* Sends one request; true on success. Only the export thread calls it. */
static bool send_request(fx_otlp *o, CURL **curl, const char *body, size_t len)
{
    if (o->file != NULL) {
        bool ok = fwrite(body, 1, len, o->file) == len && fputc('\n', o->file) != EOF;
        return fflush(o->file) == 0 && ok;
    }
    if (*curl == NULL && (*curl = curl_easy_init()) == NULL) return false;
    CURL *h = *curl;
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(h, CURLOPT_URL, o->url);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(o->timeout_ns / 1000000));
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hdr);
    return rc == CURLE_OK && status >= 200 && status < 300;
}

static struct timespec mono_deadline(int64_t ns_from_now)
{
    int64_t t = fx__add_sat(fx_clock_now(fx_clock_real()), ns_from_now);   /* CLOCK_MONOTONIC */
    return (struct timespec){.tv_sec = (time_t)(t / 1000000000), .tv_nsec = (long)(t % 1000000000)};
}

static void *export_main(void *arg)
{
    fx_otlp *o = arg;
    CURL *curl = NULL;
    out body = { 0 };   /* kept from batch to batch */
    span **batch = malloc(o->batch * sizeof *batch);
    FX__MUST(pthread_mutex_lock(&o->mu));
    for (;;) {
        if (o->count == 0) {
            if (o->stop) break;
            o->flush_now = false;
            struct timespec dl = mono_deadline(o->interval_ns);
            int rc = pthread_cond_timedwait(&o->wake, &o->mu, &dl);
            if (rc != 0 && rc != ETIMEDOUT) fx__check(rc, "pthread_cond_timedwait");
            continue;
        }
        if (o->count < o->batch && !o->flush_now && !o->stop) {
            struct timespec dl = mono_deadline(o->interval_ns);
            int rc = pthread_cond_timedwait(&o->wake, &o->mu, &dl);
            if (rc == 0) continue;              /* woken: look again */
            if (rc != ETIMEDOUT) fx__check(rc, "pthread_cond_timedwait");
        }
        size_t n = 0;
        while (o->count > 0 && n < o->batch && batch != NULL) {
            batch[n++] = o->q[o->head];
            o->head = (o->head + 1) % o->cap;
            o->count--;
        }
        o->stats.requests += batch != NULL;
        FX__MUST(pthread_mutex_unlock(&o->mu));

        bool ok = batch != NULL && encode(o, batch, n, &body) && send_request(o, &curl, body.p, body.n);
        if (batch != NULL) spans_recycle(o, batch, n);

        FX__MUST(pthread_mutex_lock(&o->mu));
        if (batch == NULL) {                    /* out of memory: drop everything queued */
            n = o->count;
            while (o->count > 0) {
                span_recycle(o->q[o->head]);
                o->head = (o->head + 1) % o->cap;
                o->count--;
            }
        }
        if (ok) o->stats.spans_exported += n;
        else {
            o->stats.spans_failed += n;
            o->failed_since_flush = true;
        }
        o->processed += n;
        FX__MUST(pthread_cond_broadcast(&o->done));
    }
    FX__MUST(pthread_cond_broadcast(&o->done));
    FX__MUST(pthread_mutex_unlock(&o->mu));
    free(batch);
    free(body.p);
    if (curl != NULL) curl_easy_cleanup(curl);
    return NULL;
}

/* ------------------------------------------------------------ lifetime */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static char *traces_url(const char *endpoint)
{
    static const char suffix[] = "/v1/traces";
    size_t n = strlen(endpoint);
    while (n > 0 && endpoint[n - 1] == '/') n--;
    bool has = n >= sizeof suffix - 1 && memcmp(endpoint + n - (sizeof suffix - 1), suffix, sizeof suffix - 1) == 0;
    char *u = malloc(n + sizeof suffix);
    if (u == NULL) return NULL;
    memcpy(u, endpoint, n);
    if (has) u[n] = '\0';
    else memcpy(u + n, suffix, sizeof suffix);
    return u;
}

static uint64_t seed_bytes(void)
{
    uint64_t s = 0;
    FILE *f = fopen("/dev/urandom", "rb");
    if (f != NULL) {
        if (fread(&s, sizeof s, 1, f) != 1) s = 0;
        fclose(f);
    }
    struct timespec ts;
    timespec_get(&ts, TIME_UTC);
    return s ^ splitmix64((uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 30 ^ (uint64_t)(uintptr_t)&s);
}

static void otlp_destroy(fx_otlp *o)
{
    while (o->pool != NULL) {
        span *s = o->pool;
        o->pool = s->next_free;
        span_destroy(s);
    }
    free(o->q);
    free(o->service);
    free(o->url);
    if (o->file != NULL) fclose(o->file);
    free(o);
}

fx_otlp *fx_otlp_new(const fx_otlp_config *cfg)
{
    if (cfg == NULL || (cfg->file == NULL) == (cfg->endpoint == NULL)) return NULL;
    fx_otlp *o = calloc(1, sizeof *o);
    if (o == NULL) return NULL;
    o->service = xstrdup(cfg->service_name != NULL ? cfg->service_name : "fluxus");
    o->cap = cfg->queue_capacity > 0 ? cfg->queue_capacity : 4096;
    o->batch = cfg->batch_size > 0 ? cfg->batch_size : 512;
    o->interval_ns = cfg->flush_interval_ns > 0 ? cfg->flush_interval_ns : 1000000000;
    o->timeout_ns = cfg->timeout_ns > 0 ? cfg->timeout_ns : 5000000000;
    o->q = malloc(o->cap * sizeof *o->q);
    if (cfg->file != NULL) o->file = fopen(cfg->file, "a");
    else {
        pthread_once(&curl_once, curl_init);
        o->url = traces_url(cfg->endpoint);
    }
    if (o->service == NULL || o->q == NULL || (cfg->file != NULL ? o->file == NULL : o->url == NULL)) {
        otlp_destroy(o);
        return NULL;
    }
    o->clock = cfg->clock != NULL ? cfg->clock : fx_clock_real();
    struct timespec ts;
    timespec_get(&ts, TIME_UTC);
    o->unix_offset = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec - fx_clock_now(o->clock);
    o->seed = seed_bytes();
    atomic_init(&o->seq, 0);

    FX__MUST(pthread_mutex_init(&o->mu, NULL));
    FX__MUST(pthread_mutex_init(&o->pool_mu, NULL));
    pthread_condattr_t ca;
    FX__MUST(pthread_condattr_init(&ca));
    FX__MUST(pthread_condattr_setclock(&ca, CLOCK_MONOTONIC));
    FX__MUST(pthread_cond_init(&o->wake, &ca));
    FX__MUST(pthread_condattr_destroy(&ca));
    FX__MUST(pthread_cond_init(&o->done, NULL));
    o->tracer = (fx_tracer){
        .user = o,
        .start_span = t_start,
        .set_attribute = t_attr,
        .record_error = t_error,
        .end_span = t_end,
        .add_event = t_event,
        .set_attribute_int = t_attr_int,
        .set_attribute_double = t_attr_double,
        .set_attribute_bool = t_attr_bool,
        .start_remote_span = t_start_remote,
        .span_context = t_context,
        .item_span_every = cfg->item_span_every,
    };
    if (pthread_create(&o->thread, NULL, export_main, o) != 0) {
        FX__MUST(pthread_cond_destroy(&o->wake));
        FX__MUST(pthread_cond_destroy(&o->done));
        FX__MUST(pthread_mutex_destroy(&o->mu));
        FX__MUST(pthread_mutex_destroy(&o->pool_mu));
        otlp_destroy(o);
        return NULL;
    }
    return o;
}

const fx_tracer *fx_otlp_tracer(fx_otlp *o) { return &o->tracer; }

int fx_otlp_flush(fx_otlp *o)
{
    FX__MUST(pthread_mutex_lock(&o->mu));
    uint64_t target = o->enqueued;
    o->flush_now = true;
    FX__MUST(pthread_cond_signal(&o->wake));
    while (o->processed < target) FX__MUST(pthread_cond_wait(&o->done, &o->mu));
    int rc = o->failed_since_flush ? FX_EINVAL : 0;
    o->failed_since_flush = false;
    FX__MUST(pthread_mutex_unlock(&o->mu));
    return rc;
}

fx_otlp_stats fx_otlp_stats_get(fx_otlp *o)
{
    FX__MUST(pthread_mutex_lock(&o->mu));
    fx_otlp_stats s = o->stats;
    FX__MUST(pthread_mutex_unlock(&o->mu));
    return s;
}

void fx_otlp_free(fx_otlp *o)
{
    if (o == NULL) return;
    FX__MUST(pthread_mutex_lock(&o->mu));
    o->stop = true;
    FX__MUST(pthread_cond_signal(&o->wake));
    FX__MUST(pthread_mutex_unlock(&o->mu));
    FX__MUST(pthread_join(o->thread, NULL));
    FX__MUST(pthread_cond_destroy(&o->wake));
    FX__MUST(pthread_cond_destroy(&o->done));
    FX__MUST(pthread_mutex_destroy(&o->mu));
    FX__MUST(pthread_mutex_destroy(&o->pool_mu));
    otlp_destroy(o);
}
