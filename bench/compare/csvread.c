#include "compare/csvread.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One record from *p. 0, 1 at end of text, -1 on an unterminated quote or
 * too many fields. The row owns row->storage. */
static int next_row(const char **p, struct zc_csv_row *row)
{
    const char *s = *p;
    row->n = 0;
    row->storage = NULL;
    if (!*s)
        return 1;
    char *out = malloc(strlen(s) + 1);
    if (!out)
        return -1;
    row->storage = out;
    for (;;) {
        if (row->n == ZC_CSV_MAX_FIELDS)
            return -1;
        row->fields[row->n++] = out;
        if (*s == '"') {
            for (s++; !(*s == '"' && s[1] != '"'); s++) {
                if (!*s)
                    return -1;
                if (*s == '"')
                    s++; /* a doubled quote stands for one */
                *out++ = *s;
            }
            s++;
        }
        while (*s && *s != ',' && *s != '\n' && *s != '\r')
            *out++ = *s++;
        *out++ = '\0';
        if (*s != ',')
            break;
        s++;
    }
    s += strspn(s, "\r\n");
    *p = s;
    return 0;
}

static int column(const struct zc_csv_row *header, const char *name)
{
    for (size_t i = 0; i < header->n; i++)
        if (strcmp(header->fields[i], name) == 0)
            return (int)i;
    return -1;
}

int zc_csv_for_each(const char *path, const char *text, const char *what, const char *first,
                    const char *const *names, size_t n_names, size_t n_required, zc_csv_row_fn fn,
                    void *ctx, char *err, size_t errlen)
{
    /* a spreadsheet's "CSV UTF-8" starts with a byte-order mark (report.py reads it too) */
    const char *p = strncmp(text, "\xEF\xBB\xBF", 3) == 0 ? text + 3 : text;
    struct zc_csv_row header, row;
    int cols[ZC_CSV_MAX_NAMES];
    int rc = -1, line = 1;
    if (next_row(&p, &header) != 0 || column(&header, first) != 0) {
        snprintf(err, errlen, "'%s' is not %s", path, what);
        goto out;
    }
    for (size_t i = 0; i < n_names && i < ZC_CSV_MAX_NAMES; i++)
        if ((cols[i] = column(&header, names[i])) < 0 && i < n_required) {
            snprintf(err, errlen, "'%s' lacks column '%s'", path, names[i]);
            goto out;
        }
    int r;
    while ((r = next_row(&p, &row)) == 0) {
        line++;
        int bad = row.n != header.n;
        if (bad)
            snprintf(err, errlen, "%s:%d: %zu fields, the header has %zu", path, line, row.n, header.n);
        else
            bad = fn(&row, cols, ctx, err, errlen);
        free(row.storage);
        if (bad)
            goto out;
    }
    if (r < 0) {
        free(row.storage);
        snprintf(err, errlen, "%s:%d: malformed CSV record (unterminated quote?)", path, line + 1);
        goto out;
    }
    rc = 0;
out:
    free(header.storage);
    return rc;
}

bool zc_csv_positive(const char *text, double *out)
{
    char *end;
    *out = strtod(text, &end);
    return end != text && !*end && *out > 0 && isfinite(*out);
}
