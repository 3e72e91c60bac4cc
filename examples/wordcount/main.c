/* main.c — counts the words of a text file with wordcount's `count`
 * pipeline and prints the most frequent ones.
 *
 *   usage: wordcount [FILE [TOP]]     (default: sample.txt, top 10)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wordcount.h"

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, len = 0, got;
    char *text = malloc(cap);
    while (text != NULL && (got = fread(text + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (len + 1 == cap) {
            char *bigger = realloc(text, cap * 2);
            if (bigger == NULL)
                free(text);
            text = bigger;
            cap *= 2;
        }
    }
    fclose(f);
    if (text != NULL)
        text[len] = '\0';
    return text;
}

/* Most frequent first; equal counts keep their order of first appearance. */
typedef struct ranked {
    fx_kv_str_i64 word;
    size_t first_seen;
} ranked;

static int by_count(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->word.value != y->word.value)
        return x->word.value < y->word.value ? 1 : -1;
    return x->first_seen < y->first_seen ? -1 : x->first_seen > y->first_seen;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "sample.txt";
    size_t top = argc > 2 ? (size_t)strtoul(argv[2], NULL, 10) : 10;
    char *text = read_file(path);
    if (text == NULL) {
        perror(path);
        return 2;
    }

    wordcount_count *count = wordcount_count_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    if (count == NULL || ctx == NULL) {
        fputs("wordcount: out of memory\n", stderr);
        return 1;
    }
    const char *in = text;
    fx_slice_kv_str_i64 words = {0};
    int rc = wordcount_count_process(count, ctx, &in, &words);
    if (rc != 0) {
        char msg[256];
        fx_error_format(fx_ctx_error(ctx), msg, sizeof msg);
        fprintf(stderr, "wordcount: %s\n", msg);
        return 1;
    }

    ranked *order = malloc((words.len + 1) * sizeof *order);
    if (order == NULL)
        return 1;
    long long total = 0;
    for (size_t i = 0; i < words.len; i++) {
        order[i] = (ranked){words.ptr[i], i};
        total += words.ptr[i].value;
    }
    qsort(order, words.len, sizeof *order, by_count);

    printf("%s: %lld words, %zu different\n", path, total, words.len);
    for (size_t i = 0; i < words.len && i < top; i++)
        printf("%6lld  %s\n", (long long)order[i].word.value, order[i].word.key);

    free(order);
    fx_ctx_free(ctx);
    wordcount_count_free(count);
    free(text);
    return 0;
}
