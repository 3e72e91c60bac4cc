/*
 * fuzz_fluxc.c — libFuzzer harness over the whole of fluxc, in memory.
 *
 * Each input is a .fx source. It goes through the same phases as the fluxc
 * command line (lexer, parser, type checker) and, when the front end accepts
 * it, through every back end (C header and source, stubs, dot, deps), all
 * rendering into memory. Besides what the sanitizers catch (crashes, leaks,
 * undefined behaviour) and libFuzzer's -timeout (hangs), it asserts SPEC §2.6
 * and §3:
 *   - rejected input has at least one diagnostic, and the first one starts
 *     with "fuzz.fx:LINE:COL: error: " (a located error, GNU style);
 *   - accepted input produces no diagnostic, and a non-empty header and
 *     source, or a failure that reports a diagnostic ("not implemented yet");
 *   - code generation is deterministic: a second compilation of the same
 *     input gives the same bytes.
 * A violated assertion aborts, which libFuzzer reports as a crash.
 *
 * Built by `make fuzz` (clang -fsanitize=fuzzer,address,undefined).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fluxc.h"

#define FUZZ_PATH "fuzz.fx"

static void fail(const char *what, const char *diags)
{
    fprintf(stderr, "fuzz_fluxc: invariant violated: %s\n", what);
    if (diags)
        fprintf(stderr, "--- diagnostics ---\n%s\n-------------------\n", diags);
    abort();
}

/* "fuzz.fx:12:3: error: " with 1-based line and column. */
static bool located_error(const char *d)
{
    const size_t n = strlen(FUZZ_PATH ":");
    if (strncmp(d, FUZZ_PATH ":", n) != 0)
        return false;
    d += n;
    for (int field = 0; field < 2; field++) {
        if (*d < '1' || *d > '9')
            return false;
        while (*d >= '0' && *d <= '9')
            d++;
        if (*d++ != ':')
            return false;
    }
    return strncmp(d, " error: ", 8) == 0;
}

typedef struct Result {
    bool front_ok, c_ok;
    Buf header, source, stubs, dot, deps;
    char *diags;
    size_t diags_len;
    int nerrors;
} Result;

static void compile(const uint8_t *data, size_t size, bool line_directives, bool all_backends, Result *r)
{
    memset(r, 0, sizeof *r);
    buf_init(&r->header);
    buf_init(&r->source);
    buf_init(&r->stubs);
    buf_init(&r->dot);
    buf_init(&r->deps);
    FILE *sink = open_memstream(&r->diags, &r->diags_len);
    if (!sink)
        abort();
    Compiler *c = compiler_new(sink);
    compiler_load_text(c, FUZZ_PATH, (const char *)data, size);
    r->front_ok = compiler_check(c);
    if (r->front_ok) {
        Options o;
        memset(&o, 0, sizeof o);
        o.input = FUZZ_PATH;
        o.out_dir = "out";
        o.emit = EMIT_C;
        o.line_directives = line_directives;
        r->c_ok = codegen_c(c, &o, &r->header, &r->source);
        if (all_backends) {
            if (!emit_stubs(c, &r->stubs) && diag_errors(c) == 0)
                fail("emit_stubs failed without a diagnostic", NULL);
            if (!emit_dot(c, &r->dot) && diag_errors(c) == 0)
                fail("emit_dot failed without a diagnostic", NULL);
            emit_deps(c, &o, o.out_dir, &r->deps);
        }
    }
    r->nerrors = diag_errors(c);
    compiler_free(c);
    fclose(sink);
}

static void result_free(Result *r)
{
    buf_free(&r->header);
    buf_free(&r->source);
    buf_free(&r->stubs);
    buf_free(&r->dot);
    buf_free(&r->deps);
    free(r->diags);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const bool lines = (size & 1) == 0;
    Result r;
    compile(data, size, lines, true, &r);

    if (!r.front_ok) {
        if (r.nerrors == 0)
            fail("front end rejected the input without a diagnostic", r.diags);
        if (!located_error(r.diags))
            fail("first diagnostic is not 'fuzz.fx:LINE:COL: error: …'", r.diags);
    } else if (!r.c_ok) {
        if (r.nerrors == 0)
            fail("codegen_c failed without a diagnostic", r.diags);
    } else {
        if (r.nerrors != 0 || r.diags_len != 0)
            fail("accepted input printed diagnostics", r.diags);
        if (r.header.len == 0 || r.source.len == 0)
            fail("accepted input gave an empty header or source", NULL);
        if (r.dot.len == 0 || r.stubs.len == 0 || r.deps.len == 0)
            fail("accepted input gave an empty stubs, dot or deps output", NULL);
        /* Same input, same bytes (SPEC §3). */
        Result again;
        compile(data, size, lines, false, &again);
        if (!again.c_ok || again.header.len != r.header.len || again.source.len != r.source.len ||
            memcmp(again.header.data, r.header.data, r.header.len) != 0 ||
            memcmp(again.source.data, r.source.data, r.source.len) != 0)
            fail("code generation is not deterministic", NULL);
        result_free(&again);
    }
    result_free(&r);
    return 0;
}
