/* tests/support/json.h — a small JSON reader for the tests that check
 * OTLP/JSON output (test_runtime_otlp, e2e obs_pipeline). Test support
 * only: values are malloc'd, freed with jfree; parse_json fails the cmocka
 * test on input that is not JSON. */
#ifndef FX_TEST_JSON_H
#define FX_TEST_JSON_H

#include <stdbool.h>
#include <stddef.h>

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jkind;

typedef struct jv {
    jkind k;
    bool b;
    double num;
    char *str;
    struct jv *items;     /* J_ARR, J_OBJ (values) */
    char **keys;          /* J_OBJ */
    size_t n;
} jv;

jv parse_json(const char *text);                      /* fails the test on bad input */
void jfree(jv *v);
const jv *jget(const jv *o, const char *key);         /* member of an object, or NULL */
const char *jstr(const jv *o, const char *key);       /* string member, or NULL */
bool is_hex(const char *s, size_t n);                 /* n lowercase hex digits, not all 0 */
/* The value object ({"intValue": ...}) of attribute key in an OTLP attribute list. */
const jv *attr_value(const jv *attrs, const char *key);

#endif
