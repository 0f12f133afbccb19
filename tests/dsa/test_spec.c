/* dsa/spec.c: "kind:key=value" specs, braces, sizes, the option table. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zc/error.h>

#include "dsa/spec.h"

static void kind_and_pairs(void **state)
{
    (void)state;
    struct zc_spec s;
    assert_int_equal(zc_spec_parse("emu", &s), 0);
    assert_string_equal(s.kind, "emu");
    assert_int_equal(s.n, 0);
    zc_spec_free(&s);
    assert_int_equal(zc_spec_parse("emu:engines=2,mode=shared", &s), 0);
    assert_string_equal(s.kind, "emu");
    assert_int_equal(s.n, 2);
    assert_string_equal(zc_spec_get(&s, "engines"), "2");
    assert_string_equal(zc_spec_get(&s, "mode"), "shared");
    assert_null(zc_spec_get(&s, "wq_size"));
    zc_spec_free(&s);
}

static void braces_protect_commas_and_plus(void **state)
{
    (void)state;
    struct zc_spec s;
    assert_int_equal(zc_spec_parse("dsa-multi:wq={emu:engines=2,mode=shared}+{emu},qd=8", &s), 0);
    assert_string_equal(s.kind, "dsa-multi");
    assert_int_equal(s.n, 2);
    assert_string_equal(zc_spec_get(&s, "wq"), "{emu:engines=2,mode=shared}+{emu}");
    assert_string_equal(zc_spec_get(&s, "qd"), "8");
    char *items[4];
    size_t n;
    char buf[64];
    snprintf(buf, sizeof buf, "%s", zc_spec_get(&s, "wq"));
    assert_int_equal(zc_spec_split(buf, '+', items, 4, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(items[0], "emu:engines=2,mode=shared");
    assert_string_equal(items[1], "emu");
    zc_spec_free(&s);
    /* One value wholly in braces loses them. */
    assert_int_equal(zc_spec_parse("k:a={x,y}", &s), 0);
    assert_string_equal(zc_spec_get(&s, "a"), "x,y");
    zc_spec_free(&s);
}

static void expect_bad(const char *text, const char *word)
{
    struct zc_spec s;
    assert_int_equal(zc_spec_parse(text, &s), -EINVAL);
    if (!strstr(zc_last_error(), word))
        fail_msg("'%s': message '%s' lacks '%s'", text, zc_last_error(), word);
}

static void malformed_specs(void **state)
{
    (void)state;
    expect_bad("", "empty");
    expect_bad(":a=1", "no kind");
    expect_bad("k:a", "not key=value");
    expect_bad("k:=1", "empty key");
    expect_bad("k:a=1,a=2", "given twice");
    expect_bad("k:a={1", "unbalanced");
    expect_bad("k:a=1}", "unbalanced");
    expect_bad("k:a=1,,b=2", "empty item");
    char many[512] = "k:";
    for (int i = 0; i <= ZC_SPEC_MAX_KEYS; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "%sk%d=1", i ? "," : "", i);
    expect_bad(many, "too many");
    struct zc_spec s;
    assert_int_equal(zc_spec_parse_kv("a=1,b=2", &s), 0);
    assert_int_equal(s.n, 2);
    zc_spec_free(&s);
}

static void sizes_with_suffixes(void **state)
{
    (void)state;
    struct { const char *text; uint64_t v; } ok[] = {
        {"4096", 4096}, {"4K", 4096}, {"4k", 4096}, {"64KiB", 65536}, {"2M", 2u << 20},
        {"1G", 1ull << 30}, {"1T", 1ull << 40}, {"2GB", 2ull << 30}, {"0", 0},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        uint64_t v = 1;
        assert_int_equal(zc_parse_size(ok[i].text, &v), 0);
        assert_int_equal(v, ok[i].v);
    }
    uint64_t v;
    assert_int_equal(zc_parse_size("", &v), -EINVAL);
    assert_int_equal(zc_parse_size("K", &v), -EINVAL);
    assert_int_equal(zc_parse_size("-1", &v), -EINVAL);
    assert_int_equal(zc_parse_size("4X", &v), -EINVAL);
    assert_int_equal(zc_parse_size("4KX", &v), -EINVAL);
    assert_int_equal(zc_parse_size("99999999999999999999", &v), -ERANGE);
    assert_int_equal(zc_parse_size("16777216T", &v), -ERANGE);
    char buf[32];
    zc_format_size(1ull << 30, buf, sizeof buf);
    assert_string_equal(buf, "1G");
    zc_format_size(4097, buf, sizeof buf);
    assert_string_equal(buf, "4097");
}

struct cfg {
    unsigned n;
    uint64_t bytes;
    double gbps;
    int mode;
    char name[8];
};

static const char *const modes[] = {"dedicated", "shared", NULL};
static const struct zc_opt opts[] = {
    {.name = "n", .type = ZC_OPT_UINT, .offset = offsetof(struct cfg, n), .min = 1, .max = 16,
     .def = "4", .help = "count"},
    {.name = "bytes", .type = ZC_OPT_SIZE, .offset = offsetof(struct cfg, bytes), .min = 1,
     .max = 1ull << 31, .def = "2G", .help = "size"},
    {.name = "gbps", .type = ZC_OPT_DOUBLE, .offset = offsetof(struct cfg, gbps), .dmin = 0,
     .dmax = 100, .def = "0", .help = "rate"},
    {.name = "mode", .type = ZC_OPT_ENUM, .offset = offsetof(struct cfg, mode), .choices = modes,
     .def = "dedicated", .help = "mode"},
    {.name = "name", .type = ZC_OPT_STRING, .offset = offsetof(struct cfg, name), .size = 8,
     .def = "x", .help = "name"},
    {.name = NULL},
};

static int apply(const char *text, struct cfg *c)
{
    struct zc_spec s;
    int rc = zc_spec_parse(text, &s);
    if (rc)
        return rc;
    rc = zc_opts_apply(opts, &s, c, "test");
    zc_spec_free(&s);
    return rc;
}

static void option_table_defaults_and_values(void **state)
{
    (void)state;
    struct cfg c;
    assert_int_equal(apply("t", &c), 0);
    assert_int_equal(c.n, 4);
    assert_int_equal(c.bytes, 1ull << 31);
    assert_true(c.gbps == 0);
    assert_int_equal(c.mode, 0);
    assert_string_equal(c.name, "x");
    assert_int_equal(apply("t:n=16,bytes=4K,gbps=2.5,mode=shared,name=abcdefg", &c), 0);
    assert_int_equal(c.n, 16);
    assert_int_equal(c.bytes, 4096);
    assert_true(c.gbps == 2.5);
    assert_int_equal(c.mode, 1);
    assert_string_equal(c.name, "abcdefg");
}

static void expect_opt_error(const char *text, const char *a, const char *b)
{
    struct cfg c;
    assert_int_equal(apply(text, &c), -EINVAL);
    const char *msg = zc_last_error();
    if (!strstr(msg, a) || !strstr(msg, b))
        fail_msg("'%s': message '%s' lacks '%s'/'%s'", text, msg, a, b);
}

static void option_table_errors_name_key_and_allowed(void **state)
{
    (void)state;
    expect_opt_error("t:m=1", "unknown key 'm'", "n, bytes, gbps, mode, name");
    expect_opt_error("t:n=17", "'17' for n", "1..16");
    expect_opt_error("t:n=0", "'0' for n", "1..16");
    expect_opt_error("t:n=1x", "'1x' for n", "integer");
    expect_opt_error("t:n=99999999999999999999", "for n", "integer");
    expect_opt_error("t:bytes=3G", "'3G' for bytes", "1..2G");
    expect_opt_error("t:bytes=0", "'0' for bytes", "size");
    expect_opt_error("t:gbps=101", "'101' for gbps", "0..100");
    expect_opt_error("t:gbps=nan", "'nan' for gbps", "number");
    expect_opt_error("t:mode=both", "'both' for mode", "dedicated|shared");
    expect_opt_error("t:name=abcdefgh", "for name", "at most 7");
}

static void layering_applies_only_given_keys(void **state)
{
    (void)state;
    struct cfg c;
    assert_int_equal(apply("t:n=2", &c), 0);
    struct zc_spec s;
    assert_int_equal(zc_spec_parse_kv("mode=shared", &s), 0);
    assert_int_equal(zc_opts_apply_keys(opts, &s, &c, "env"), 0);
    zc_spec_free(&s);
    assert_int_equal(c.n, 2); /* not reset to the default */
    assert_int_equal(c.mode, 1);
}

static void help_lists_every_option(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    zc_opts_help(opts, f);
    fclose(f);
    for (const struct zc_opt *o = opts; o->name; o++)
        assert_non_null(strstr(text, o->name));
    assert_non_null(strstr(text, "dedicated|shared"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kind_and_pairs),
        cmocka_unit_test(braces_protect_commas_and_plus),
        cmocka_unit_test(malformed_specs),
        cmocka_unit_test(sizes_with_suffixes),
        cmocka_unit_test(option_table_defaults_and_values),
        cmocka_unit_test(option_table_errors_name_key_and_allowed),
        cmocka_unit_test(layering_applies_only_given_keys),
        cmocka_unit_test(help_lists_every_option),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
