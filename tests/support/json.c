/* tests/support/json.c — see json.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"
/* ---------------------------------------------------------------- a small JSON reader */



static void skip_ws(const char **p)
{
    while (**p == ' ' || **p == '\n' || **p == '\t' || **p == '\r') (*p)++;
}

static bool parse_value(const char **p, jv *out);

static bool parse_string(const char **p, char **out)
{
    if (**p != '"') return false;
    (*p)++;
    size_t cap = 16, n = 0;
    char *s = malloc(cap);
    while (**p != '"') {
        if (**p == '\0') { free(s); return false; }
        char ch = *(*p)++;
        if (ch == '\\') {
            char e = *(*p)++;
            switch (e) {
            case 'n': ch = '\n'; break;
            case 't': ch = '\t'; break;
            case 'r': ch = '\r'; break;
            case '"': case '\\': case '/': ch = e; break;
            case 'u': {
                unsigned v = 0;
                for (int i = 0; i < 4; i++) {
                    char h = *(*p)++;
                    v = v * 16 + (unsigned)(h >= 'a' ? h - 'a' + 10 : h >= 'A' ? h - 'A' + 10 : h - '0');
                }
                ch = (char)(v < 128 ? v : '?');
                break;
            }
            default: free(s); return false;
            }
        }
        if (n + 2 > cap) s = realloc(s, cap *= 2);
        s[n++] = ch;
    }
    (*p)++;
    s[n] = '\0';
    *out = s;
    return true;
}

static bool parse_container(const char **p, jv *out, bool obj)
{
    char close = obj ? '}' : ']';
    (*p)++;
    out->k = obj ? J_OBJ : J_ARR;
    size_t cap = 0;
    skip_ws(p);
    if (**p == close) { (*p)++; return true; }
    for (;;) {
        if (out->n == cap) {
            cap = cap ? cap * 2 : 4;
            out->items = realloc(out->items, cap * sizeof *out->items);
            if (obj) out->keys = realloc(out->keys, cap * sizeof *out->keys);
        }
        skip_ws(p);
        if (obj) {
            if (!parse_string(p, &out->keys[out->n])) return false;
            skip_ws(p);
            if (*(*p)++ != ':') { free(out->keys[out->n]); return false; }
        }
        memset(&out->items[out->n], 0, sizeof out->items[0]);
        out->n++;
        if (!parse_value(p, &out->items[out->n - 1])) return false;
        skip_ws(p);
        if (**p == ',') { (*p)++; continue; }
        if (**p == close) { (*p)++; return true; }
        return false;
    }
}

static bool parse_value(const char **p, jv *out)
{
    skip_ws(p);
    memset(out, 0, sizeof *out);
    if (**p == '{') return parse_container(p, out, true);
    if (**p == '[') return parse_container(p, out, false);
    if (**p == '"') { out->k = J_STR; return parse_string(p, &out->str); }
    if (strncmp(*p, "true", 4) == 0) { *p += 4; out->k = J_BOOL; out->b = true; return true; }
    if (strncmp(*p, "false", 5) == 0) { *p += 5; out->k = J_BOOL; return true; }
    if (strncmp(*p, "null", 4) == 0) { *p += 4; return true; }
    char *end;
    out->num = strtod(*p, &end);
    if (end == *p) return false;
    out->k = J_NUM;
    *p = end;
    return true;
}

void jfree(jv *v)
{
    for (size_t i = 0; i < v->n; i++) {
        jfree(&v->items[i]);
        if (v->k == J_OBJ) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->str);
}

jv parse_json(const char *text)
{
    jv v;
    const char *p = text;
    bool ok = parse_value(&p, &v);
    skip_ws(&p);
    if (!ok || *p != '\0') fail_msg("not JSON: %.300s", text);
    return v;
}

const jv *jget(const jv *o, const char *key)
{
    if (o == NULL || o->k != J_OBJ) return NULL;
    for (size_t i = 0; i < o->n; i++)
        if (strcmp(o->keys[i], key) == 0) return &o->items[i];
    return NULL;
}

const char *jstr(const jv *o, const char *key)
{
    const jv *v = jget(o, key);
    return v != NULL && v->k == J_STR ? v->str : NULL;
}

bool is_hex(const char *s, size_t n)
{
    if (s == NULL || strlen(s) != n) return false;
    bool nonzero = false;
    for (size_t i = 0; i < n; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
        nonzero |= s[i] != '0';
    }
    return nonzero;
}

/* The value object ({"intValue": …}) of attribute key in an attribute list. */
const jv *attr_value(const jv *attrs, const char *key)
{
    if (attrs == NULL) return NULL;
    for (size_t i = 0; i < attrs->n; i++)
        if (strcmp(jstr(&attrs->items[i], "key"), key) == 0) return jget(&attrs->items[i], "value");
    return NULL;
}

