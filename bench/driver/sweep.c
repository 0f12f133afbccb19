#include "sweep.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsa/error.h"

#define WHERE_MAX (ZCB_PATH_MAX + 24)
#define SWEEP_FILE_MAX (1u << 20)

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t len = strlen(s);
    while (len && isspace((unsigned char)s[len - 1]))
        s[--len] = '\0';
    return s;
}

/* '#' starts a comment at the start of a line or after a blank; elsewhere it
 * is part of the value (a path like file:/tmp/a#b is kept whole). */
static void strip_comment(char *line)
{
    for (char *p = line; (p = strchr(p, '#')) != NULL; p++)
        if (p == line || isspace((unsigned char)p[-1])) {
            *p = '\0';
            return;
        }
}

static size_t count_char(const char *text, char c)
{
    size_t n = 0;
    for (const char *p = text; *p; p++)
        n += *p == c;
    return n;
}

static bool valid_name(const char *name)
{
    if (!*name || strlen(name) >= ZCB_SWEEP_NAME_MAX)
        return false;
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("-_.", *p))
            return false;
    return true;
}

/* A section without keys would run the defaults under its name: its keys
 * were forgotten or went under another header. Section i ends at line
 * `next` (the next header), 0 at the end of the file. */
static int refuse_empty_section(const struct zcb_sweep *s, size_t i, size_t next)
{
    const struct zcb_sweep_section *sec = &s->sections[i];
    if (sec->n)
        return 0;
    char end[48] = "the end of the file";
    if (next)
        snprintf(end, sizeof end, "the next section (line %zu)", next);
    return zc_fail(EINVAL, "%s:%zu: sweep '%s' has no `key = value` line before %s (allowed: at least one in "
                           "each [sweep NAME] section)", s->filename, sec->line, sec->name, end);
}

/* "[sweep NAME]" -> section; anything else between brackets is an error. */
static int parse_section(char *line, const char *where, size_t no, struct zcb_sweep *s)
{
    size_t len = strlen(line);
    if (line[len - 1] != ']')
        return zc_fail(EINVAL, "%s: unterminated section header '%.*s%s' (allowed: [sweep NAME])", where,
                       ZCB_QUOTE(line));
    line[len - 1] = '\0';
    char *body = trim(line + 1);
    if (strncmp(body, "sweep", 5) != 0 || !isspace((unsigned char)body[5]))
        return zc_fail(EINVAL, "%s: bad section header '[%.*s%s]' (allowed: [sweep NAME])", where,
                       ZCB_QUOTE(body));
    char *name = trim(body + 5);
    if (!valid_name(name))
        return zc_fail(EINVAL, "%s: bad sweep name '%.*s%s' (allowed: letters, digits, - _ ., at most %d)",
                       where, ZCB_QUOTE(name), ZCB_SWEEP_NAME_MAX - 1);
    for (size_t i = 0; i < s->n_sections; i++)
        if (strcmp(s->sections[i].name, name) == 0)
            return zc_fail(EINVAL, "%s: sweep '%s' defined twice", where, name);
    struct zcb_sweep_section *sec = &s->sections[s->n_sections++];
    snprintf(sec->name, sizeof sec->name, "%s", name);
    sec->first = s->n_assigns;
    sec->n = 0;
    sec->line = no;
    return 0;
}

static int parse_assign(char *line, const char *where, size_t no, struct zcb_sweep *s)
{
    char *eq = strchr(line, '=');
    if (!eq)
        return zc_fail(EINVAL, "%s: '%.*s%s' is not `key = value` or `[sweep NAME]`", where, ZCB_QUOTE(line));
    *eq = '\0';
    char *key = trim(line), *value = trim(eq + 1);
    if (!zcb_option_in_sweep(key)) {
        struct zcb_options scratch;
        struct zcb_assign a = {key, value, where};
        return zcb_options_set(&scratch, &a, 1, true); /* fails naming the allowed keys */
    }
    if (!*value)
        return zc_fail(EINVAL, "%s: key '%s' has no value", where, key);
    s->lines[s->n_assigns] = no;
    s->assigns[s->n_assigns++] = (struct zcb_assign){key, value, NULL};
    if (s->n_sections)
        s->sections[s->n_sections - 1].n++;
    else
        s->n_defaults++;
    return 0;
}

int zcb_sweep_parse(const char *text, size_t len, const char *filename, struct zcb_sweep *s)
{
    memset(s, 0, sizeof *s);
    s->text = malloc(len + 1);
    if (!s->text)
        return zc_fail(ENOMEM, "%s: out of memory", filename);
    memcpy(s->text, text, len);
    s->text[len] = '\0';
    if (strlen(s->text) != len) {
        zcb_sweep_free(s);
        return zc_fail(EINVAL, "%s: contains a NUL byte (allowed: text lines)", filename);
    }
    /* Sized by what the text can hold (an assignment has a '=', a section
     * a '['), not by its lines: a file of blank lines costs nothing. */
    size_t max_assigns = count_char(s->text, '=') + 1, max_sections = count_char(s->text, '[') + 1;
    s->filename = strdup(filename);
    s->lines = calloc(max_assigns, sizeof *s->lines);
    s->assigns = calloc(max_assigns, sizeof *s->assigns);
    s->sections = calloc(max_sections, sizeof *s->sections);
    if (!s->filename || !s->lines || !s->assigns || !s->sections) {
        zcb_sweep_free(s);
        return zc_fail(ENOMEM, "%s: out of memory", filename);
    }
    char *line = s->text;
    for (size_t no = 1; line; no++) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char where[WHERE_MAX];
        snprintf(where, sizeof where, "%s:%zu", filename, no);
        strip_comment(line);
        char *body = trim(line);
        int rc = 0;
        if (*body == '[') {
            rc = parse_section(body, where, no, s);
            if (!rc && s->n_sections > 1)
                rc = refuse_empty_section(s, s->n_sections - 2, no);
        } else if (*body)
            rc = parse_assign(body, where, no, s);
        if (!rc && !next && s->n_sections) /* the last section ends with the file */
            rc = refuse_empty_section(s, s->n_sections - 1, 0);
        if (rc) {
            zcb_sweep_free(s);
            return rc;
        }
        line = next;
    }
    if (!s->n_assigns && !s->n_sections) {
        zcb_sweep_free(s);
        return zc_fail(EINVAL, "%s: defines no cases: only blank lines and comments (allowed: `key = value` "
                               "lines and [sweep NAME] sections, e.g. configs/sweep-quick.conf)", filename);
    }
    if (!s->n_sections) {
        snprintf(s->sections[0].name, sizeof s->sections[0].name, "default");
        s->sections[0].first = s->n_defaults;
        s->n_sections = 1;
    }
    return 0;
}

static int unreadable(const char *path, int err)
{
    return zc_fail(err ? err : EIO, "--config %s: %s (allowed: a readable sweep file, e.g. configs/sweep-quick.conf)",
                   path, err ? strerror(err) : "read error");
}

int zcb_sweep_load(const char *path, struct zcb_sweep *out)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "r");
    if (!f)
        return unreadable(path, errno);
    char *buf = malloc(SWEEP_FILE_MAX + 1);
    if (!buf) {
        fclose(f);
        return zc_fail(ENOMEM, "--config %s: out of memory", path);
    }
    errno = 0;
    size_t len = fread(buf, 1, SWEEP_FILE_MAX + 1, f);
    bool failed = ferror(f);
    int read_errno = errno;
    fclose(f);
    int rc;
    if (failed)
        rc = unreadable(path, read_errno); /* e.g. a directory, which fopen opens */
    else if (len > SWEEP_FILE_MAX)
        rc = zc_fail(EFBIG, "--config %s: larger than %u bytes (allowed: a sweep file of at most that)",
                     path, SWEEP_FILE_MAX);
    else
        rc = zcb_sweep_parse(buf, len, path, out);
    free(buf);
    return rc;
}

/* The file's assignments [first, first+n), each named FILE:LINE. */
static int apply_file(const struct zcb_sweep *s, size_t first, size_t n, unsigned scope,
                      struct zcb_options *o)
{
    for (size_t i = first; i < first + n; i++) {
        char where[WHERE_MAX];
        snprintf(where, sizeof where, "%s:%zu", s->filename, s->lines[i]);
        struct zcb_assign a = {s->assigns[i].name, s->assigns[i].value, where};
        int rc = zcb_options_set(o, &a, scope, true);
        if (rc)
            return rc;
    }
    return 0;
}

int zcb_sweep_options(const struct zcb_sweep *s, size_t i, const struct zcb_assign *cli,
                      size_t n_cli, struct zcb_options *out)
{
    const struct zcb_sweep_section *sec = &s->sections[i];
    zcb_options_defaults(out);
    int rc = apply_file(s, 0, s->n_defaults, ZCB_SCOPE_FILE, out);
    if (!rc)
        rc = apply_file(s, sec->first, sec->n, ZCB_SCOPE_SECTION, out);
    for (size_t k = 0; !rc && k < n_cli; k++)
        rc = zcb_options_set(out, &cli[k], ZCB_SCOPE_CLI, false);
    return rc;
}

void zcb_sweep_free(struct zcb_sweep *s)
{
    free(s->text);
    free(s->filename);
    free(s->lines);
    free(s->assigns);
    free(s->sections);
    memset(s, 0, sizeof *s);
}
