/* otlp.c — the OpenTelemetry exporter: an fx_tracer recording spans in
 * memory, a bounded queue of ended spans, and a thread that encodes them as
 * OTLP/JSON ExportTraceServiceRequest and writes them to a file or POSTs
 * them with libcurl.
 *
 * A span is mutated under its own mutex (attributes and events can come
 * from branch threads while the combinator's span is current on their
 * parent context); its ids are immutable after start, so children read
 * them without locking. Queue fields are guarded by o->mu. */
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

typedef struct attr {
    char *key;
    attr_kind kind;
    char *s;
    int64_t i;
    double d;
    bool b;
} attr;

typedef struct attrs {
    attr *v;
    size_t n, cap;
} attrs;

typedef struct event {
    char *name;
    int64_t time;
    attrs at;
} event;

typedef struct span {
    struct fx_otlp *o;
    uint8_t trace_id[16], span_id[8], parent_id[8];   /* immutable after start */
    bool has_parent;
    uint8_t flags;                                    /* bit 0: sampled */
    pthread_mutex_t mu;                               /* everything below */
    char *name;
    int64_t start, end;                               /* unix ns */
    attrs at;
    event *ev;
    size_t nev, evcap;
    int status;                                       /* 0 unset, 1 ok, 2 error */
    char *status_msg;
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

static void attrs_free(attrs *a)
{
    for (size_t i = 0; i < a->n; i++) {
        free(a->v[i].key);
        free(a->v[i].s);
    }
    free(a->v);
}

/* The slot for key (replacing an earlier value, as OpenTelemetry does), or
 * NULL on OOM. */
static attr *attrs_slot(attrs *a, const char *key)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->v[i].key, key) == 0) {
            free(a->v[i].s);
            a->v[i].s = NULL;
            return &a->v[i];
        }
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 8;
        attr *v = realloc(a->v, cap * sizeof *v);
        if (v == NULL) return NULL;
        a->v = v;
        a->cap = cap;
    }
    attr *at = &a->v[a->n];
    memset(at, 0, sizeof *at);
    at->key = xstrdup(key);
    if (at->key == NULL) return NULL;
    a->n++;
    return at;
}

static void attrs_put_str(attrs *a, const char *key, const char *v)
{
    attr *at = attrs_slot(a, key);
    if (at == NULL) return;
    at->kind = ATTR_STR;
    at->s = xstrdup(v);
    if (at->s == NULL) at->kind = ATTR_BOOL;   /* OOM: keep a valid value */
}

static void attrs_put_int(attrs *a, const char *key, int64_t v)
{
    attr *at = attrs_slot(a, key);
    if (at == NULL) return;
    at->kind = ATTR_INT;
    at->i = v;
}

static void span_free(span *s)
{
    attrs_free(&s->at);
    for (size_t i = 0; i < s->nev; i++) {
        free(s->ev[i].name);
        attrs_free(&s->ev[i].at);
    }
    free(s->ev);
    free(s->name);
    free(s->status_msg);
    FX__MUST(pthread_mutex_destroy(&s->mu));
    free(s);
}

/* A new event on s (mu held), or NULL on OOM. */
static event *span_event(span *s, const char *name)
{
    if (s->nev == s->evcap) {
        size_t cap = s->evcap ? s->evcap * 2 : 4;
        event *v = realloc(s->ev, cap * sizeof *v);
        if (v == NULL) return NULL;
        s->ev = v;
        s->evcap = cap;
    }
    event *e = &s->ev[s->nev];
    memset(e, 0, sizeof *e);
    e->name = xstrdup(name);
    if (e->name == NULL) return NULL;
    e->time = now_unix(s->o);
    s->nev++;
    return e;
}

/* ------------------------------------------------------------ tracer callbacks */

static span *span_new(fx_otlp *o, const fx_component *c)
{
    span *s = calloc(1, sizeof *s);
    if (s == NULL) return NULL;
    s->o = o;
    s->name = xstrdup(c->name);
    if (s->name == NULL) {
        free(s);
        return NULL;
    }
    FX__MUST(pthread_mutex_init(&s->mu, NULL));
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
    free(s->status_msg);
    s->status_msg = xstrdup(message);
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
        span_free(s);
        return;
    }
    FX__MUST(pthread_mutex_lock(&o->mu));
    o->stats.spans_ended++;
    if (o->count == o->cap) {
        o->stats.spans_dropped++;
        FX__MUST(pthread_mutex_unlock(&o->mu));
        span_free(s);
        return;
    }
    o->q[(o->head + o->count) % o->cap] = s;
    o->count++;
    o->enqueued++;
    if (o->count >= o->batch) FX__MUST(pthread_cond_signal(&o->wake));
    FX__MUST(pthread_mutex_unlock(&o->mu));
}

/* ------------------------------------------------------------ JSON */

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20) fprintf(f, "\\u%04x", *p);
            else fputc(*p, f);
        }
    }
    fputc('"', f);
}

static void json_hex(FILE *f, const uint8_t *b, size_t n)
{
    fputc('"', f);
    for (size_t i = 0; i < n; i++) fprintf(f, "%02x", b[i]);
    fputc('"', f);
}

static void json_attrs(FILE *f, const attrs *a)
{
    fputs("[", f);
    for (size_t i = 0; i < a->n; i++) {
        const attr *at = &a->v[i];
        if (i > 0) fputc(',', f);
        fputs("{\"key\":", f);
        json_str(f, at->key);
        fputs(",\"value\":{", f);
        switch (at->kind) {
        case ATTR_STR: fputs("\"stringValue\":", f); json_str(f, at->s); break;
        case ATTR_INT: fprintf(f, "\"intValue\":\"%lld\"", (long long)at->i); break;
        case ATTR_DOUBLE: fprintf(f, "\"doubleValue\":%.6f", at->d); break;
        case ATTR_BOOL: fprintf(f, "\"boolValue\":%s", at->b ? "true" : "false"); break;
        }
        fputs("}}", f);
    }
    fputs("]", f);
}

static void json_span(FILE *f, const span *s)
{
    fputs("{\"traceId\":", f);
    json_hex(f, s->trace_id, 16);
    fputs(",\"spanId\":", f);
    json_hex(f, s->span_id, 8);
    if (s->has_parent) {
        fputs(",\"parentSpanId\":", f);
        json_hex(f, s->parent_id, 8);
    }
    fputs(",\"name\":", f);
    json_str(f, s->name);
    fprintf(f, ",\"kind\":1,\"startTimeUnixNano\":\"%lld\",\"endTimeUnixNano\":\"%lld\",\"attributes\":",
            (long long)s->start, (long long)s->end);
    json_attrs(f, &s->at);
    fputs(",\"events\":[", f);
    for (size_t i = 0; i < s->nev; i++) {
        if (i > 0) fputc(',', f);
        fprintf(f, "{\"timeUnixNano\":\"%lld\",\"name\":", (long long)s->ev[i].time);
        json_str(f, s->ev[i].name);
        fputs(",\"attributes\":", f);
        json_attrs(f, &s->ev[i].at);
        fputc('}', f);
    }
    fprintf(f, "],\"status\":{\"code\":%d", s->status);
    if (s->status == 2 && s->status_msg != NULL) {
        fputs(",\"message\":", f);
        json_str(f, s->status_msg);
    }
    fputs("}}", f);
}

/* One ExportTraceServiceRequest for spans[0..n), no newline. Caller frees. */
static char *encode(const fx_otlp *o, span *const *spans, size_t n, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (f == NULL) return NULL;
    fputs("{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":", f);
    json_str(f, o->service);
    fputs("}},{\"key\":\"telemetry.sdk.name\",\"value\":{\"stringValue\":\"fluxus\"}},"
          "{\"key\":\"telemetry.sdk.language\",\"value\":{\"stringValue\":\"c\"}}]},"
          "\"scopeSpans\":[{\"scope\":{\"name\":\"fluxus\",\"version\":\"" FX_VERSION_STRING "\"},\"spans\":[", f);
    for (size_t i = 0; i < n; i++) {
        if (i > 0) fputc(',', f);
        json_span(f, spans[i]);
    }
    fputs("]}]}]}", f);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
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

        size_t len = 0;
        char *body = batch != NULL ? encode(o, batch, n, &len) : NULL;
        bool ok = body != NULL && send_request(o, &curl, body, len);
        free(body);
        for (size_t i = 0; i < n; i++) span_free(batch[i]);

        FX__MUST(pthread_mutex_lock(&o->mu));
        if (batch == NULL) {                    /* out of memory: drop everything queued */
            n = o->count;
            while (o->count > 0) {
                span_free(o->q[o->head]);
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
    otlp_destroy(o);
}
