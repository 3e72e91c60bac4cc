/* main.c — runs quickstart's `analyze` pipeline over every line of a log
 * file and prints the notable requests and a summary.
 *
 *   usage: quickstart [FILE]      (default: sample.log beside the program)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quickstart.h"

#define MAX_TEAMS 8

struct team_stats {
    const char *team;
    unsigned requests, errors;
    unsigned max_ms;
};

static struct team_stats *team_slot(struct team_stats *t, size_t *n, const char *team)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(t[i].team, team) == 0)
            return &t[i];
    if (*n == MAX_TEAMS)
        return NULL;
    memset(&t[*n], 0, sizeof t[*n]);
    t[*n].team = team;   /* static strings from the directory */
    return &t[(*n)++];
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "sample.log";
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return 2;
    }

    static const struct team_entry entries[] = {
        {"api", "checkout"}, {"search", "discovery"}, {"auth", "identity"}, {"images", "media"},
    };
    struct team_directory teams = {entries, sizeof entries / sizeof entries[0], 250};
    quickstart_analyze_state state = {.enrich = &teams};

    quickstart_analyze *analyze = quickstart_analyze_new(NULL, &state);
    quickstart_describe *describe = quickstart_describe_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    if (!analyze || !describe || !ctx) {
        fputs("quickstart: out of memory\n", stderr);
        return 1;
    }

    struct team_stats stats[MAX_TEAMS];
    size_t nteams = 0;
    unsigned lineno = 0, lines = 0, parsed = 0, rejected = 0, slow = 0, server_errors = 0;
    char line[1024];

    printf("notable requests in %s:\n", path);
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        lineno++;
        if (line[0] == '\0' || line[0] == '#')
            continue;
        lines++;
        const char *in = line;
        LogEntry entry;
        int rc = quickstart_analyze_process(analyze, ctx, &in, &entry);
        if (rc != 0) {
            char why[256];
            fx_error_format(fx_ctx_error(ctx), why, sizeof why);
            printf("  line %u rejected: %s\n", lineno, why);
            rejected++;
            fx_ctx_reset(ctx);
            continue;
        }
        parsed++;
        struct team_stats *t = team_slot(stats, &nteams, entry.team);
        if (t) {
            t->requests++;
            t->errors += entry.status >= 500;
            if (entry.latency_ms > t->max_ms)
                t->max_ms = entry.latency_ms;
        }
        slow += entry.slow;
        server_errors += entry.status >= 500;
        if (entry.slow || entry.status >= 500) {
            const char *text = NULL;
            if (quickstart_describe_process(describe, ctx, &entry, &text) == 0)
                printf("  %s\n", text);
        }
        fx_ctx_reset(ctx);   /* the arena's memory is kept for the next line */
    }
    fclose(f);

    printf("summary: %u lines, %u parsed, %u rejected, %u slow, %u server errors\n", lines, parsed, rejected,
           slow, server_errors);
    for (size_t i = 0; i < nteams; i++)
        printf("  %-10s %3u requests  %2u errors  slowest %ums\n", stats[i].team, stats[i].requests,
               stats[i].errors, stats[i].max_ms);

    fx_ctx_free(ctx);
    quickstart_describe_free(describe);
    quickstart_analyze_free(analyze);
    return 0;
}
