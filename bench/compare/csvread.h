/* Internal to `zcbench compare`: an RFC 4180 CSV text walked row by row,
 * columns found by header name (results, samples, gate pairs and counts). */
#ifndef ZC_COMPARE_CSVREAD_H
#define ZC_COMPARE_CSVREAD_H

#include <stdbool.h>
#include <stddef.h>

#define ZC_CSV_MAX_FIELDS 128
#define ZC_CSV_MAX_NAMES 16

struct zc_csv_row {
    char *fields[ZC_CSV_MAX_FIELDS];
    size_t n;
    char *storage;
};

/* cols[i] is the index of names[i] in the row, -1 for an optional column
 * the file lacks. Non-zero stops the walk (with a message in err). */
typedef int (*zc_csv_row_fn)(const struct zc_csv_row *row, const int *cols, void *ctx, char *err,
                             size_t errlen);

/* Walks every row of text after a header whose first column is `first` and
 * which has the first n_required of names (at most ZC_CSV_MAX_NAMES; the
 * rest are optional). what describes
 * the expected file for the message when the header does not fit, e.g.
 * "a zcbench results CSV". 0, or -1 with a one-line message in err. */
int zc_csv_for_each(const char *path, const char *text, const char *what, const char *first,
                    const char *const *names, size_t n_names, size_t n_required, zc_csv_row_fn fn,
                    void *ctx, char *err, size_t errlen);

/* A field holding a finite number > 0 (the whole field), into *out. */
bool zc_csv_positive(const char *text, double *out);

#endif
