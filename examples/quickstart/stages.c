/* stages.c — the stage functions that quickstart.fx binds. Each one has the
 * exact prototype the generated quickstart.h declares. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quickstart.h"

enum { E_MALFORMED = 1, E_BAD_STATUS = 2 };

/* Copies the next space-separated field into the arena. */
static const char *next_field(fx_ctx *ctx, const char **cursor)
{
    const char *s = *cursor;
    while (*s == ' ')
        s++;
    if (!*s)
        return NULL;
    const char *start = s;
    while (*s && *s != ' ')
        s++;
    *cursor = s;
    char *f = fx_alloc(ctx, (size_t)(s - start) + 1);
    memcpy(f, start, (size_t)(s - start));
    f[s - start] = '\0';
    return f;
}

/* "2026-12-04T10:00:01Z INFO api GET /orders 200 12ms" */
int parse_line(fx_ctx *ctx, const char *const *in, LogEntry *out)
{
    const char *cur = *in;
    const char *f[7];
    int n = 0;
    while (n < 7 && (f[n] = next_field(ctx, &cur)) != NULL)
        n++;
    if (n < 7 || next_field(ctx, &cur) != NULL)
        return fx_fail(ctx, E_MALFORMED, "expected 7 fields, found %d", n);

    char *end;
    long status = strtol(f[5], &end, 10);
    if (*end || status < 100 || status > 599)
        return fx_fail(ctx, E_BAD_STATUS, "bad HTTP status '%s'", f[5]);
    long ms = strtol(f[6], &end, 10);
    if (ms < 0 || strcmp(end, "ms") != 0)
        return fx_fail(ctx, E_MALFORMED, "bad latency '%s' (want e.g. 12ms)", f[6]);

    memset(out, 0, sizeof *out);
    out->time = f[0];
    out->level = f[1];
    out->service = f[2];
    out->method = f[3];
    out->path = f[4];
    out->status = (uint16_t)status;
    out->latency_ms = (uint32_t)ms;
    return 0;
}

int add_team(fx_ctx *ctx, struct team_directory *teams, const LogEntry *in, LogEntry *out)
{
    (void)ctx;
    *out = *in;
    out->team = "unowned";
    for (size_t i = 0; i < teams->count; i++)
        if (strcmp(teams->entries[i].service, in->service) == 0)
            out->team = teams->entries[i].team;
    return 0;
}

int mark_slow(fx_ctx *ctx, const LogEntry *in, LogEntry *out)
{
    (void)ctx;
    *out = *in;
    out->slow = in->latency_ms > 250;
    return 0;
}

int render_entry(fx_ctx *ctx, const LogEntry *in, const char **out)
{
    const char *time = strchr(in->time, 'T') ? strchr(in->time, 'T') + 1 : in->time;
    *out = fx_sprintf(ctx, "%.8s %-5s %-9s %-4s %-14s %3u %5ums  team=%s%s", time, in->level, in->service,
                      in->method, in->path, (unsigned)in->status, (unsigned)in->latency_ms, in->team,
                      in->slow ? "  (slow)" : "");
    return 0;
}
