/* stages.c — the three stage functions of wordcount.fx. */
#include <ctype.h>
#include <string.h>

#include "wordcount.h"

/* Letters and apostrophes inside a word ("don't"); everything else splits. */
static bool word_char(const char *s, const char *start)
{
    unsigned char c = (unsigned char)*s;
    if (isalpha(c))
        return true;
    return c == '\'' && s > start && isalpha((unsigned char)s[-1]) && isalpha((unsigned char)s[1]);
}

int split_words(fx_ctx *ctx, const char *const *in, fx_slice_str *out)
{
    const char *text = *in;
    size_t cap = strlen(text) / 2 + 1;   /* a word takes at least two bytes with its separator */
    const char **words = fx_alloc(ctx, cap * sizeof *words);
    if (words == NULL)
        return fx_fail(ctx, FX_ENOMEM, "no room for the words");
    size_t n = 0;
    for (const char *s = text; *s != '\0';) {
        if (!word_char(s, text)) {
            s++;
            continue;
        }
        const char *start = s;
        while (*s != '\0' && word_char(s, text))
            s++;
        char *w = fx_alloc(ctx, (size_t)(s - start) + 1);
        if (w == NULL)
            return fx_fail(ctx, FX_ENOMEM, "no room for a word");
        for (size_t i = 0; i < (size_t)(s - start); i++)
            w[i] = (char)tolower((unsigned char)start[i]);
        w[s - start] = '\0';
        words[n++] = w;
    }
    out->ptr = words;
    out->len = n;
    return 0;
}

int count_one(fx_ctx *ctx, const char *const *in, fx_kv_str_i64 *out)
{
    (void)ctx;
    out->key = *in;
    out->value = 1;
    return 0;
}

int sum_counts(fx_ctx *ctx, const fx_group_str_i64 *in, fx_kv_str_i64 *out)
{
    (void)ctx;
    out->key = in->key;
    out->value = 0;
    for (size_t i = 0; i < in->values.len; i++)
        out->value += in->values.ptr[i];
    return 0;
}
