/* Just enough of JSON for the gate's inputs: strings, and any other value
 * skipped structurally. */
#include "compare/json.h"

#include <ctype.h>
#include <string.h>

void zc_json_skip_ws(struct zc_json *s)
{
    while (isspace((unsigned char)*s->p))
        s->p++;
}

bool zc_json_eat(struct zc_json *s, char c)
{
    zc_json_skip_ws(s);
    if (*s->p != c)
        return false;
    s->p++;
    return true;
}

bool zc_json_string(struct zc_json *s, char *out, size_t len)
{
    if (!zc_json_eat(s, '"'))
        return false;
    size_t n = 0;
    while (*s->p && *s->p != '"') {
        char c = *s->p++;
        if (c == '\\') {
            c = *s->p++;
            if (c == 'u') {
                for (int i = 0; i < 4 && isxdigit((unsigned char)*s->p); i++)
                    s->p++;
                c = '?';
            } else if (c == 'n') {
                c = '\n';
            } else if (c == 't') {
                c = '\t';
            } else if (!c) {
                return false;
            }
        }
        if (n + 1 < len)
            out[n++] = c;
    }
    if (len)
        out[n] = '\0';
    return zc_json_eat(s, '"');
}

bool zc_json_skip(struct zc_json *s, int depth)
{
    char scratch[8];
    zc_json_skip_ws(s);
    if (depth > 64)
        return false;
    if (*s->p == '"')
        return zc_json_string(s, scratch, 0);
    if (*s->p == '{' || *s->p == '[') {
        char close = *s->p == '{' ? '}' : ']';
        bool object = *s->p == '{';
        s->p++;
        if (zc_json_eat(s, close))
            return true;
        do {
            if (object && (!zc_json_string(s, scratch, 0) || !zc_json_eat(s, ':')))
                return false;
            if (!zc_json_skip(s, depth + 1))
                return false;
        } while (zc_json_eat(s, ','));
        return zc_json_eat(s, close);
    }
    const char *start = s->p;
    while (*s->p && (isalnum((unsigned char)*s->p) || strchr("+-.", *s->p)))
        s->p++;
    return s->p != start;
}
