/*
 * accept.c — the "accept → C compiles" oracle (`make fuzz-accept`).
 *
 * For every input fluxc accepts (the fuzzer's corpus, the golden, e2e and
 * example inputs), the generated header and source, and the --emit=stubs
 * skeleton, must compile with `cc -std=c11 -Wall -Wextra -Wpedantic -Werror
 * -fsyntax-only` (SPEC §3). What the program leaves to the user's headers is
 * faked: every `include` that the system does not have becomes an empty file
 * (found through -idirafter, so real system headers win), and every extern
 * type and `with State` type that fluxc does not define becomes a small
 * struct in a prelude passed with -include. Inputs whose C environment cannot
 * be faked that way (an extern spelled `unsigned long`, a path with `..`) are
 * counted as skipped, not failed.
 *
 * Usage: accept [-k KEEPDIR] DIR_OR_FILE...
 *   Files named *.fx, or with no dot (libFuzzer's hash names), are checked.
 *   A failing input is copied to KEEPDIR (default build/accept-failures).
 * Known, reported and still open fluxc bugs are listed in
 * tools/fuzz/known_accept_failures.txt (one C compiler message fragment a
 * line, with the finding it belongs to): a failure whose compiler output
 * contains one is counted as `known`, not failed. Remove the line when the
 * bug is fixed.
 * Prints `accept: N inputs, A accepted, C compiled, S skipped, K known, F failed`;
 * exits 1 when F > 0.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fluxc.h"

static const char *cc_cmd = "cc";
static const char *keep_dir = "build/accept-failures";
static char work[256];
static int n_inputs, n_accepted, n_compiled, n_skipped, n_known, n_failed;
static char known[64][512];
static int nknown;

static void load_known(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[512];
    while (nknown < 64 && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char *bar = strstr(line, " | ");   /* "fragment | finding" */
        if (bar)
            *bar = '\0';
        snprintf(known[nknown++], sizeof known[0], "%s", line);
    }
    fclose(f);
}

/* Does the last compiler log show a known, reported failure? */
static bool known_failure(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/cc.log", work);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    for (int i = 0; i < nknown; i++)
        if (strstr(buf, known[i]))
            return true;
    return false;
}

static const char *const c_words[] = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum",
    "extern", "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return",
    "short", "signed", "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void",
    "volatile", "while", "bool", "true", "false", "_Bool", "main", "NULL",
};

static bool is_ident(const char *s)
{
    if (!s || !*s || (*s >= '0' && *s <= '9'))
        return false;
    for (; *s; s++)
        if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
            return false;
    return true;
}

/* A name we may define as a struct without clashing with C, libc or fluxus. */
static bool definable(const char *s)
{
    if (!is_ident(s))
        return false;
    for (size_t i = 0; i < sizeof c_words / sizeof *c_words; i++)
        if (strcmp(s, c_words[i]) == 0)
            return false;
    size_t n = strlen(s);
    if (n >= 2 && strcmp(s + n - 2, "_t") == 0)
        return false;
    return strncmp(s, "fx_", 3) != 0 && strncmp(s, "FX_", 3) != 0 && s[0] != '_';
}

static bool write_text(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return false;
    bool ok = fwrite(text, 1, len, f) == len;
    return (fclose(f) == 0) && ok;
}

static bool mkdirs_for(const char *path)
{
    char tmp[2048];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
                return false;
            *p = '/';
        }
    return true;
}

/* Adds `typedef struct N { int fx_accept_dummy; } N;` once per name. */
static void define_struct(Buf *prelude, Vec *done, const char *name, bool tagged_only)
{
    for (size_t i = 0; i < done->len; i++)
        if (strcmp(done->items[i], name) == 0)
            return;
    vec_push(done, (void *)name);
    if (tagged_only)
        buf_printf(prelude, "struct %s { int fx_accept_dummy; };\n", name);
    else
        buf_printf(prelude, "typedef struct %s { int fx_accept_dummy; } %s;\n", name, name);
}

/* Builds the fake environment of module m in `work`. false = cannot fake it. */
static bool fake_environment(Compiler *c, Buf *prelude)
{
    Module *m = c->module;
    Vec done = {0};
    bool ok = true;
    buf_puts(prelude, "/* accept: fake user environment */\n");
    for (size_t i = 0; i < m->ndecls && ok; i++) {
        const Decl *d = m->decls[i];
        if (d->kind == D_INCLUDE) {
            if (!d->path || d->path[0] == '/' || strstr(d->path, "..") || strlen(d->path) > 200) {
                ok = false;
                break;
            }
            char path[1024];
            snprintf(path, sizeof path, "%s/sys/%s", work, d->path);
            if (!mkdirs_for(path) || !write_text(path, "", 0))
                ok = false;
        } else if (d->kind == D_EXTERN) {
            const char *sp = d->c_spelling ? d->c_spelling : d->name;
            if (strncmp(sp, "struct ", 7) == 0 && definable(sp + 7))
                define_struct(prelude, &done, sp + 7, true);
            else if (definable(sp))
                define_struct(prelude, &done, sp, false);
            else
                ok = false;
        }
    }
    for (size_t i = 0; i < m->ndecls && ok; i++) {
        const Decl *d = m->decls[i];
        if (d->kind != D_STAGE || !d->state)
            continue;
        const Decl *t = sema_lookup(c, d->state);
        if (t && (t->kind == D_STRUCT || t->kind == D_EXTERN))
            continue;
        if (definable(d->state))
            define_struct(prelude, &done, d->state, false);
        else
            ok = false;
    }
    vec_free(&done);
    return ok;
}

static bool cc_syntax(const char *file, const char *label, const char *input)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "%s -std=c11 -Wall -Wextra -Wpedantic -Werror -fsyntax-only -D_POSIX_C_SOURCE=200809L "
             "-Iruntime/include -I%s -idirafter %s/sys -include %s/prelude.h %s/%s >%s/cc.log 2>&1",
             cc_cmd, work, work, work, work, file, work);
    if (system(cmd) == 0)
        return true;
    if (known_failure()) {
        fprintf(stderr, "accept: known %s: %s (tools/fuzz/known_accept_failures.txt)\n", input, label);
        return false;
    }
    fprintf(stderr, "accept: FAIL %s: %s does not compile:\n", input, label);
    char log[1024];
    snprintf(log, sizeof log, "head -n 12 %s/cc.log | sed 's/^/    /' >&2", work);
    if (system(log) != 0)
        fprintf(stderr, "    (no log)\n");
    return false;
}

static void keep(const char *input, const char *text, size_t len)
{
    mkdir(keep_dir, 0777);
    const char *base = strrchr(input, '/');
    char path[1024];
    snprintf(path, sizeof path, "%s/%s%s", keep_dir, base ? base + 1 : input,
             strstr(input, ".fx") ? "" : ".fx");
    write_text(path, text, len);
}

static void check_input(const char *path, const char *text, size_t len)
{
    n_inputs++;
    FILE *sink = fopen("/dev/null", "w");
    Compiler *c = compiler_new(sink);
    compiler_load_text(c, "input.fx", text, len);
    Buf h, s, stubs, prelude;
    buf_init(&h);
    buf_init(&s);
    buf_init(&stubs);
    buf_init(&prelude);
    if (compiler_check(c)) {
        Options o;
        memset(&o, 0, sizeof o);
        o.input = "input.fx";
        o.line_directives = true;
        if (codegen_c(c, &o, &h, &s) && emit_stubs(c, &stubs)) {
            n_accepted++;
            char cmd[4096];
            snprintf(cmd, sizeof cmd, "rm -rf %s/sys %s/*.c %s/*.h", work, work, work);
            if (system(cmd) != 0)
                fprintf(stderr, "accept: cannot clean %s\n", work);
            if (!fake_environment(c, &prelude)) {
                n_skipped++;
            } else {
                const char *mod = c->module->name;
                char hp[1024], sp[1024], tp[1024], pp[1024], sfile[512], tfile[512];
                snprintf(hp, sizeof hp, "%s/%s.h", work, mod);
                snprintf(sp, sizeof sp, "%s/%s.c", work, mod);
                snprintf(tp, sizeof tp, "%s/%s_stubs.c", work, mod);
                snprintf(pp, sizeof pp, "%s/prelude.h", work);
                snprintf(sfile, sizeof sfile, "%s.c", mod);
                snprintf(tfile, sizeof tfile, "%s_stubs.c", mod);
                if (!write_text(hp, h.data, h.len) || !write_text(sp, s.data, s.len) ||
                    !write_text(tp, stubs.data, stubs.len) || !write_text(pp, prelude.data, prelude.len)) {
                    n_skipped++;   /* a module name too long for a file name */
                } else {
                bool ok = cc_syntax(sfile, "generated source", path);
                bool was_known = !ok && known_failure();
                if (ok)
                    ok = cc_syntax(tfile, "--emit=stubs skeleton", path);
                if (ok) {
                    n_compiled++;
                } else if (was_known || known_failure()) {
                    n_known++;
                } else {
                    n_failed++;
                    keep(path, text, len);
                }
                }
            }
        }
    }
    buf_free(&h);
    buf_free(&s);
    buf_free(&stubs);
    buf_free(&prelude);
    compiler_free(c);
    fclose(sink);
}

static void check_file(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (!(n > 3 && strcmp(base + n - 3, ".fx") == 0) && strchr(base, '.'))
        return;
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    Buf b;
    buf_init(&b);
    char chunk[8192];
    size_t k;
    while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_putn(&b, chunk, k);
    fclose(f);
    check_input(path, b.data, b.len);
    buf_free(&b);
}

static void check_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return;
    if (!S_ISDIR(st.st_mode)) {
        check_file(path);
        return;
    }
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *e;
    Vec names = {0};
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            vec_push(&names, xstrdup(e->d_name));
    closedir(d);
    for (size_t i = 0; i < names.len; i++) {
        char p[2048];
        snprintf(p, sizeof p, "%s/%s", path, (char *)names.items[i]);
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
            check_file(p);
        free(names.items[i]);
    }
    vec_free(&names);
}

int main(int argc, char **argv)
{
    int i = 1;
    if (i + 1 < argc && strcmp(argv[i], "-k") == 0) {
        keep_dir = argv[i + 1];
        i += 2;
    }
    load_known(getenv("FUZZ_KNOWN") ? getenv("FUZZ_KNOWN") : "tools/fuzz/known_accept_failures.txt");
    if (getenv("CC") && *getenv("CC"))
        cc_cmd = getenv("CC");
    snprintf(work, sizeof work, "%s/fluxc-accept.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(work)) {
        perror("accept: mkdtemp");
        return 2;
    }
    for (; i < argc; i++)
        check_path(argv[i]);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "rm -rf %s", work);
    if (system(cmd) != 0)
        fprintf(stderr, "accept: cannot remove %s\n", work);
    printf("accept: %d inputs, %d accepted, %d compiled, %d skipped, %d known, %d failed\n", n_inputs,
           n_accepted, n_compiled, n_skipped, n_known, n_failed);
    return n_failed ? 1 : 0;
}
