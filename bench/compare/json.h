/* Internal to `zcbench compare`: a minimal JSON reader (json.c) for Google
 * Benchmark's files and the run metadata sidecar. */
#ifndef ZC_COMPARE_JSON_H
#define ZC_COMPARE_JSON_H

#include <stdbool.h>
#include <stddef.h>

struct zc_json {
    const char *p; /* next character */
};

void zc_json_skip_ws(struct zc_json *s);
/* Skips white space; true (and consumed) when the next character is c. */
bool zc_json_eat(struct zc_json *s, char c);
/* A string into out (len 0: skipped); escapes kept simple: \" \\ \/ \n \t,
 * and \uXXXX as '?'. */
bool zc_json_string(struct zc_json *s, char *out, size_t len);
/* Any value (nesting up to 64 deep). */
bool zc_json_skip(struct zc_json *s, int depth);

#endif
