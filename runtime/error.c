/* error.c — fx_strerror, fx_error_is, fx_error_format. */
#include "internal.h"

#include <stdio.h>
#include <string.h>

const char *fx_strerror(int code)
{
    switch (code) {
    case 0: return "success";
#define XX(name, text) case FX_##name: return text;
    FX_ERRNO_MAP(XX)
#undef XX
    default: return code > 0 ? "application error" : "unknown error";
    }
}

bool fx_error_is(const fx_error *err, int code)
{
    if (err == NULL) return false;
    if (err->code == code) return true;
    if (fx_error_is(err->cause, code)) return true;
    if (err->errors != NULL)
        for (size_t i = 0; i < err->count; i++)
            if (fx_error_is(&err->errors[i], code)) return true;
    return false;
}

/* snprintf-like sink: counts everything, stores what fits. */
typedef struct sink {
    char *buf;
    size_t n;
    size_t len;
} sink;

static void put(sink *s, const char *text, size_t k)
{
    if (s->n > 0 && s->len < s->n - 1) {
        size_t room = s->n - 1 - s->len;
        memcpy(s->buf + s->len, text, k < room ? k : room);
    }
    s->len += k;
}

static void puts_(sink *s, const char *text) { put(s, text, strlen(text)); }

static void put_int(sink *s, long long v)
{
    char tmp[32];
    int k = snprintf(tmp, sizeof tmp, "%lld", v);
    put(s, tmp, (size_t)k);
}

static void format(sink *s, const fx_error *e)
{
    if (e->stage != NULL) {
        puts_(s, e->stage);
        puts_(s, ": ");
    }
    if (e->message != NULL) {
        puts_(s, e->message);
    } else if (e->code == FX_ERETRY_EXHAUSTED && e->attempts > 0) {
        puts_(s, "retry exhausted ");
        put_int(s, e->attempts);
        puts_(s, e->attempts == 1 ? " attempt" : " attempts");
    } else if (e->code > 0) {
        puts_(s, "application error (code ");
        put_int(s, e->code);
        puts_(s, ")");
    } else {
        puts_(s, fx_strerror(e->code));
    }
    if (e->cause != NULL) {
        puts_(s, ": ");
        format(s, e->cause);
    }
    if (e->count > 0 && e->errors != NULL) {
        puts_(s, " (");
        put_int(s, (long long)e->count);
        puts_(s, e->count == 1 ? " error: " : " errors: ");
        for (size_t i = 0; i < e->count; i++) {
            const fx_error *child = &e->errors[i];
            if (i > 0) puts_(s, "; ");
            if (child->index >= 0) {
                puts_(s, "[");
                put_int(s, child->index);
                puts_(s, "] ");
            }
            format(s, child);
        }
        puts_(s, ")");
    }
}

size_t fx_error_format(const fx_error *err, char *buf, size_t n)
{
    sink s = { buf, buf != NULL ? n : 0, 0 };
    if (err == NULL) puts_(&s, "success");
    else format(&s, err);
    if (s.n > 0) s.buf[s.len < s.n - 1 ? s.len : s.n - 1] = '\0';
    return s.len;
}
