#include "dsa_targets.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend_axes.h"
#include "dsa/error.h"
#include "dsa/grow.h"
#include "dsa/spec.h"

#define MAX_AUTO 16

static struct zcb_choice_list chosen; /* the hw choices of this run */
static bool told_none;                /* "no usable WQ" is said once per run */

/* printf at the end of buf (truncated, always terminated). */
__attribute__((format(printf, 3, 4))) static void append(char *buf, size_t len, const char *fmt, ...)
{
    size_t used = strlen(buf);
    if (used + 1 >= len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + used, len - used, fmt, ap);
    va_end(ap);
}

void zcb_projected_wq(const struct zc_dsa_wq_info *hw, char *out, size_t len)
{
    static const struct zc_dsa_wq_info real = {
        .mode = ZC_DSA_DEDICATED, .size = 128, .max_batch = 1024, .max_xfer = 2u << 20, .engines = 4};
    const struct zc_dsa_wq_info *w = hw ? hw : &real;
    char xfer[32];
    zc_format_size(w->max_xfer, xfer, sizeof xfer);
    /* The WQs of one device share its engines and bandwidth in the
     * projection too (dev=); without hardware, the real configuration's
     * one device. */
    snprintf(out, len, "emu:clock=virtual,dev=%s,mode=%s,wq_size=%u,max_batch=%u,max_xfer=%s,"
             "engines=%u", hw && hw->device[0] ? hw->device : "dsa0",
             w->mode == ZC_DSA_SHARED ? "shared" : "dedicated", w->size ? w->size : 1,
             w->max_batch > 2 ? w->max_batch : 2, xfer, w->engines ? w->engines : 1);
}

static int push(struct zcb_choice_list *l, const char *sweep, const char *spec, const char *target,
                const char *why)
{
    struct zcb_backend_choice *v = zc_grow(l->v, &l->cap, l->n, sizeof *l->v, 16);
    if (!v)
        return zc_fail(ENOMEM, "out of memory expanding DSA targets");
    l->v = v;
    struct zcb_backend_choice *c = &l->v[l->n++];
    snprintf(c->sweep, sizeof c->sweep, "%s", sweep);
    snprintf(c->spec, sizeof c->spec, "%s", spec);
    snprintf(c->target, sizeof c->target, "%s", target);
    snprintf(c->why, sizeof c->why, "%s", why);
    return 0;
}

/* How many WQs the spec's wq value asks to be chosen (auto, auto+auto...);
 * 0 when it names any itself (or has no wq key). */
static size_t auto_items(const char *spec)
{
    struct zc_spec s;
    if (zc_spec_parse(spec, &s) != 0)
        return 0; /* opening it says what is wrong */
    const char *wq = zc_spec_get(&s, "wq");
    size_t n = 0;
    if (wq) {
        char copy[ZCB_SPEC_MAX], *items[MAX_AUTO];
        snprintf(copy, sizeof copy, "%s", wq);
        if (zc_spec_split(copy, '+', items, MAX_AUTO, &n) != 0)
            n = 0;
        for (size_t i = 0; i < n; i++)
            if (strcmp(items[i], "auto") != 0)
                n = 0;
    }
    zc_spec_free(&s);
    zc_clear_error();
    return n;
}

/* n distinct hardware WQs for one spec; false (said on stderr) when the
 * host has not that many usable ones. */
static bool choose_hw(const char *sweep, const char *spec, size_t n, int node,
                      struct zc_dsa_wq_info *info, char *names, size_t names_len, char *why,
                      size_t why_len)
{
    const char *exclude[MAX_AUTO];
    names[0] = why[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        char one[ZCB_WHY_MAX / 2];
        if (zc_dsa_auto_choose(node, exclude, i, &info[i], one, sizeof one) != 0) {
            if (i == 0 && !told_none)
                fprintf(stderr, "zcbench: no usable DSA work queue for wq=auto (%s): the hw "
                                "target of every such spec is dropped (--dsa-targets)\n",
                        zc_last_error());
            else if (i > 0)
                fprintf(stderr, "zcbench: sweep %s: %s needs %zu distinct work queues (%s): its "
                                "hw target is dropped\n", sweep, spec, n, zc_last_error());
            told_none |= i == 0;
            return false;
        }
        exclude[i] = info[i].name;
        append(names, names_len, "%s%s", i ? "+" : "", info[i].name);
        append(why, why_len, "%s%s", i ? "; " : "", one);
    }
    fprintf(stderr, "zcbench: sweep %s: wq=auto -> %s: %s\n", sweep, names, why);
    return true;
}

static int with_wq(const char *spec, const char *wq, char *out)
{
    return zcb_spec_with_text(spec, "wq", wq, out, ZCB_SPEC_MAX);
}

int zcb_dsa_targets_expand(const struct zcb_options *o, const char *sweep, const char *spec,
                           int node, struct zcb_choice_list *out)
{
    /* Backends typed on the command line mean what they say (wq=auto: a
     * hardware WQ or an error) unless --dsa-targets is given there too. */
    bool typed = o->backends.scope == ZCB_SCOPE_CLI && o->dsa_targets.scope == ZCB_SCOPE_DEFAULT;
    size_t n = typed ? 0 : auto_items(spec);
    if (n == 0)
        return push(out, sweep, spec, "-", "");
    struct zc_dsa_wq_info info[MAX_AUTO];
    char names[ZCB_SPEC_MAX], why[ZCB_WHY_MAX], value[ZCB_SPEC_MAX], varied[ZCB_SPEC_MAX];
    bool have_hw = false, asked_hw = false;
    for (size_t t = 0; t < o->dsa_targets.n; t++)
        asked_hw |= o->dsa_targets.v[t] == ZCB_TARGET_HW;
    if (asked_hw)
        have_hw = choose_hw(sweep, spec, n, node, info, names, sizeof names, why, sizeof why);
    int rc = 0;
    for (size_t t = 0; !rc && t < o->dsa_targets.n; t++) {
        enum zcb_target target = (enum zcb_target)o->dsa_targets.v[t];
        value[0] = '\0';
        for (size_t i = 0; i < n; i++) {
            char item[ZCB_SPEC_MAX];
            if (target == ZCB_TARGET_PROJECTED)
                zcb_projected_wq(have_hw ? &info[i] : NULL, item, sizeof item);
            else
                snprintf(item, sizeof item, "%s", target == ZCB_TARGET_HW ? info[i].name : "emu");
            bool brace = n > 1 && strchr(item, ',');
            append(value, sizeof value, "%s%s%s%s", i ? "+" : "", brace ? "{" : "", item,
                   brace ? "}" : "");
        }
        if (target == ZCB_TARGET_HW && !have_hw)
            continue;
        rc = with_wq(spec, value, varied);
        if (!rc)
            rc = push(out, sweep, varied, zcb_target_names[target], target == ZCB_TARGET_HW ? why : "");
        if (!rc && target == ZCB_TARGET_HW)
            rc = push(&chosen, sweep, varied, "hw", why);
    }
    return rc;
}

void zcb_choice_list_free(struct zcb_choice_list *l)
{
    free(l->v);
    memset(l, 0, sizeof *l);
}

const struct zcb_choice_list *zcb_dsa_targets_chosen(void) { return &chosen; }

void zcb_dsa_targets_forget(const char *sweep, const char *spec)
{
    size_t kept = 0;
    for (size_t i = 0; i < chosen.n; i++)
        if (strcmp(chosen.v[i].sweep, sweep) != 0 || strcmp(chosen.v[i].spec, spec) != 0)
            chosen.v[kept++] = chosen.v[i];
    chosen.n = kept;
}

void zcb_dsa_targets_reset(void)
{
    zcb_choice_list_free(&chosen);
    told_none = false;
}
