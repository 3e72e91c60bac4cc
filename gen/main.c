/* main.c — the fluxc command line. Parses options, runs the front end, and
 * writes output files only when the whole compilation succeeded.
 * Exit codes: 0 success, 1 diagnostics, 2 usage or I/O errors. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fluxc.h"

static const char usage[] =
    "usage: fluxc [options] FILE.fx\n"
    "  -o DIR            where to write MODULE.h and MODULE.c (default: .)\n"
    "  --emit=KIND       c (header + source, default) | stubs | dot | deps\n"
    "  --check           parse and type-check only\n"
    "  --no-line         omit #line directives\n"
    "  -MD               also write MODULE.d (make dependency file)\n"
    "  --version         print the version and exit\n"
    "  --help            print this help and exit\n"
    "\n"
    "With --emit=stubs, dot or deps the result goes to standard output, or to\n"
    "DIR/MODULE_stubs.c, DIR/MODULE.dot or DIR/MODULE.d when -o is given.\n";

static int usage_error(const char *fmt, ...) FXC_PRINTF(1, 2);
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fluxc: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'fluxc --help'.\n", stderr);
    return 2;
}

static char *path_join(const char *dir, const char *name, const char *ext)
{
    Buf b;
    buf_init(&b);
    if (dir && *dir) {
        buf_puts(&b, dir);
        if (b.data[b.len - 1] != '/')
            buf_putc(&b, '/');
    }
    buf_printf(&b, "%s%s", name, ext);
    return b.data;
}

/* Writes via a temporary file and rename, so a failure never leaves a
 * half-written output behind. */
static bool write_file(const char *path, const Buf *content)
{
    char *tmp = path_join(NULL, path, ".tmp");
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        fprintf(stderr, "fluxc: error: cannot write '%s': %s\n", path, strerror(errno));
        free(tmp);
        return false;
    }
    bool ok = fwrite(content->data, 1, content->len, f) == content->len;
    ok = (fclose(f) == 0) && ok;
    if (ok && rename(tmp, path) != 0)
        ok = false;
    if (!ok) {
        fprintf(stderr, "fluxc: error: cannot write '%s': %s\n", path, strerror(errno));
        remove(tmp);
    }
    free(tmp);
    return ok;
}

static bool output(const Options *o, const char *module, const char *ext, const Buf *content)
{
    if (!o->out_dir) {
        fwrite(content->data, 1, content->len, stdout);
        return fflush(stdout) == 0;
    }
    char *path = path_join(o->out_dir, module, ext);
    bool ok = write_file(path, content);
    free(path);
    return ok;
}

static int run(Compiler *c, const Options *o)
{
    if (!compiler_load(c, o->input))
        return 2;
    if (!compiler_check(c))
        return 1;
    if (o->check_only)
        return 0;

    const char *module = c->module->name;
    const char *dir = o->out_dir ? o->out_dir : ".";
    Buf a, b;
    buf_init(&a);
    buf_init(&b);
    int rc = 0;
    switch (o->emit) {
    case EMIT_C:
        if (!codegen_c(c, o, &a, &b)) {
            rc = 1;
            break;
        }
        {
            char *h = path_join(dir, module, ".h");
            char *s = path_join(dir, module, ".c");
            if (!write_file(h, &a) || !write_file(s, &b))
                rc = 2;
            free(h);
            free(s);
        }
        if (rc == 0 && o->write_deps) {
            Buf d;
            buf_init(&d);
            emit_deps(c, o, o->out_dir, &d);
            char *p = path_join(dir, module, ".d");
            if (!write_file(p, &d))
                rc = 2;
            free(p);
            buf_free(&d);
        }
        break;
    case EMIT_STUBS:
        if (!emit_stubs(c, &a))
            rc = 1;
        else if (!output(o, module, "_stubs.c", &a))
            rc = 2;
        break;
    case EMIT_DOT:
        if (!emit_dot(c, &a))
            rc = 1;
        else if (!output(o, module, ".dot", &a))
            rc = 2;
        break;
    case EMIT_DEPS:
        emit_deps(c, o, o->out_dir, &a);
        if (!output(o, module, ".d", &a))
            rc = 2;
        break;
    }
    buf_free(&a);
    buf_free(&b);
    return rc;
}

int main(int argc, char **argv)
{
    Options o;
    memset(&o, 0, sizeof o);
    o.emit = EMIT_C;
    o.line_directives = true;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if (strcmp(a, "--version") == 0) {
            printf("fluxc %s\n", FLUXC_VERSION);
            return 0;
        } else if (strcmp(a, "-o") == 0) {
            if (++i >= argc)
                return usage_error("'-o' needs a directory");
            o.out_dir = argv[i];
        } else if (strncmp(a, "-o", 2) == 0 && a[2]) {
            o.out_dir = a + 2;
        } else if (strncmp(a, "--emit=", 7) == 0) {
            const char *k = a + 7;
            if (strcmp(k, "c") == 0) o.emit = EMIT_C;
            else if (strcmp(k, "stubs") == 0) o.emit = EMIT_STUBS;
            else if (strcmp(k, "dot") == 0) o.emit = EMIT_DOT;
            else if (strcmp(k, "deps") == 0) o.emit = EMIT_DEPS;
            else return usage_error("unknown --emit kind '%s' (use c, stubs, dot or deps)", k);
        } else if (strcmp(a, "--check") == 0) {
            o.check_only = true;
        } else if (strcmp(a, "--no-line") == 0) {
            o.line_directives = false;
        } else if (strcmp(a, "-MD") == 0) {
            o.write_deps = true;
        } else if (a[0] == '-' && a[1] != '\0') {
            return usage_error("unknown option '%s'", a);
        } else if (o.input) {
            return usage_error("more than one input file ('%s')", a);
        } else {
            o.input = a;
        }
    }
    if (!o.input)
        return usage_error("no input file");

    Compiler *c = compiler_new(stderr);
    int rc = run(c, &o);
    compiler_free(c);
    return rc;
}
