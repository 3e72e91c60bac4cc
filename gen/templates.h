/*
 * templates.h — the table of embedded templates.
 *
 * tools/embed writes $(BUILD)/grammar/templates.c from the files in
 * templates/; that file defines the table and gen/template.c reads it
 * (template_get/template_render in fluxc.h are what everyone else uses).
 */
#ifndef FLUXC_TEMPLATES_H
#define FLUXC_TEMPLATES_H

#include <stddef.h>

struct fx_template {
    const char *name;   /* the file's base name: "header.h.in" */
    const char *text;   /* its bytes, NUL-terminated */
};

extern const struct fx_template fx_templates[];
extern const size_t fx_templates_count;

#endif /* FLUXC_TEMPLATES_H */
