/* Sweep files: `key = value` lines (a '#' at the start of a line or after a
 * blank starts a comment), keys are the long option names; `[sweep NAME]`
 * starts a section, each section is one sweep, keys before the first
 * section are defaults for every section. A file without sections is one
 * sweep named "default"; a file of only blank lines and comments is refused,
 * and so is a section without a `key = value` line (each would run the
 * default sweep unasked). */
#ifndef ZCB_SWEEP_H
#define ZCB_SWEEP_H

#include <stddef.h>

#include "options.h"

#define ZCB_SWEEP_NAME_MAX 64

struct zcb_sweep_section {
    char name[ZCB_SWEEP_NAME_MAX];
    size_t first, n; /* assignments [first, first+n) */
    size_t line;     /* of its header */
};

struct zcb_sweep {
    char *text;                  /* owned, split into names/values in place */
    char *filename;              /* owned; errors name FILE:LINE */
    struct zcb_assign *assigns;  /* owned; where is NULL, lines[i] is the line */
    size_t *lines;               /* owned */
    size_t n_assigns;
    size_t n_defaults;           /* the first n_defaults assignments precede any section */
    struct zcb_sweep_section *sections;
    size_t n_sections;
};

/* 0, or -errno with zc_last_error() naming FILE:LINE and what is allowed;
 * *out is always safe to pass to zcb_sweep_free. */
int zcb_sweep_load(const char *path, struct zcb_sweep *out);
/* The same on text in memory (len bytes, need not be NUL-terminated). */
int zcb_sweep_parse(const char *text, size_t len, const char *filename, struct zcb_sweep *out);
/* Options for section i: defaults, then the file's defaults, then the
 * section, then `cli` (scopes make each layer replace lists it sets). */
int zcb_sweep_options(const struct zcb_sweep *s, size_t i, const struct zcb_assign *cli,
                      size_t n_cli, struct zcb_options *out);
void zcb_sweep_free(struct zcb_sweep *s);

#endif
