/*
 * template.c — the fixed text of the generated code.
 *
 * the files in templates/ are embedded into fluxc at build time (tools/embed); a
 * template is plain text with ${KEY} placeholders. Rendering is a single pass:
 * a value is copied as is, never rescanned for placeholders. `$` not followed
 * by `{` is copied. An unknown or unterminated placeholder is a bug in fluxc,
 * so it aborts (the tests render every template).
 */
#include <stdlib.h>
#include <string.h>

#include "fluxc.h"
#include "templates.h"

const char *template_get(const char *name)
{
    for (size_t i = 0; i < fx_templates_count; i++)
        if (fx_templates[i].name != NULL && strcmp(fx_templates[i].name, name) == 0)
            return fx_templates[i].text;
    return NULL;
}

static const char *lookup(const char *const *kv, const char *key, size_t n)
{
    for (size_t i = 0; kv != NULL && kv[i] != NULL; i += 2)
        if (strlen(kv[i]) == n && memcmp(kv[i], key, n) == 0)
            return kv[i + 1] != NULL ? kv[i + 1] : "";
    return NULL;
}

void template_render(Buf *out, const char *name, const char *const *kv)
{
    const char *text = template_get(name);
    if (text == NULL) {
        fprintf(stderr, "fluxc: internal error: no template '%s'\n", name);
        abort();
    }
    const char *p = text;
    for (;;) {
        const char *dollar = strstr(p, "${");
        if (dollar == NULL) {
            buf_puts(out, p);
            return;
        }
        buf_putn(out, p, (size_t)(dollar - p));
        const char *key = dollar + 2;
        const char *end = strchr(key, '}');
        const char *value = end != NULL ? lookup(kv, key, (size_t)(end - key)) : NULL;
        if (value == NULL) {
            int n = end != NULL ? (int)(end - key) : (int)strlen(key);
            fprintf(stderr, "fluxc: internal error: template '%s': no value for ${%.*s}\n",
                    name, n, key);
            abort();
        }
        buf_puts(out, value);
        p = end + 1;
    }
}
