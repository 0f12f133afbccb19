/* Sweep files: sections, defaults, layering under the command line, and
 * malformed files naming FILE:LINE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <zc/error.h>

#include "driver/sweep.h"

static int parse(const char *text, struct zcb_sweep *s)
{
    return zcb_sweep_parse(text, strlen(text), "t.sweep", s);
}

/* The options of section i of a sweep file given as text. */
static int options_of(const char *text, size_t i, struct zcb_options *o)
{
    struct zcb_sweep s;
    int rc = parse(text, &s);
    if (!rc)
        rc = zcb_sweep_options(&s, i, NULL, 0, o);
    zcb_sweep_free(&s);
    return rc;
}

static void sections_inherit_defaults_and_the_command_line_wins(void **state)
{
    (void)state;
    const char *text = "# quick profile\n"
                       "reps = 3   # fewer\n"
                       "backend = cpu:best\n"
                       "\n"
                       "[sweep small]\n"
                       "size = 4K,64K\n"
                       "backend = cpu:u64\n"
                       "backend = dsa-batch:wq=emu,batch=32\n"
                       "[ sweep big ]\n"
                       "workload = onegig\n";
    struct zcb_sweep s;
    assert_int_equal(parse(text, &s), 0);
    assert_int_equal(s.n_sections, 2);
    assert_string_equal(s.sections[0].name, "small");
    assert_string_equal(s.sections[1].name, "big");

    struct zcb_options o;
    assert_int_equal(zcb_sweep_options(&s, 0, NULL, 0, &o), 0);
    assert_int_equal(o.reps, 3);
    assert_int_equal(o.sizes.n, 2);
    assert_int_equal(o.backends.n, 2); /* the section replaced the file default */
    assert_string_equal(o.backends.v[1], "dsa-batch:wq=emu,batch=32");

    struct zcb_assign cli[] = {{"reps", "7", "--reps"}, {"output", "x.csv", "--output"}};
    assert_int_equal(zcb_sweep_options(&s, 1, cli, 2, &o), 0);
    assert_int_equal(o.workload, ZCB_WL_ONEGIG);
    assert_int_equal(o.reps, 7);
    assert_int_equal(o.backends.n, 1);
    assert_string_equal(o.backends.v[0], "cpu:best");
    assert_string_equal(o.output, "x.csv");
    zcb_sweep_free(&s);
}

static void a_file_without_sections_is_one_sweep(void **state)
{
    (void)state;
    struct zcb_sweep s;
    assert_int_equal(parse("size = 1M\nzero-ratio = 0.5\n", &s), 0);
    assert_int_equal(s.n_sections, 1);
    assert_string_equal(s.sections[0].name, "default");
    struct zcb_options o;
    assert_int_equal(zcb_sweep_options(&s, 0, NULL, 0, &o), 0);
    assert_int_equal(o.sizes.v[0], 1 << 20);
    zcb_sweep_free(&s);
}

struct bad {
    const char *text, *expect;
};

/* Each text is refused with one line holding what it expects. */
static void each_is_refused(const struct bad *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct zcb_sweep s;
        assert_int_not_equal(parse(cases[i].text, &s), 0);
        if (!strstr(zc_last_error(), cases[i].expect))
            fail_msg("case %zu: message '%s' lacks '%s'", i, zc_last_error(), cases[i].expect);
        assert_null(strchr(zc_last_error(), '\n'));
    }
}

/* A file that defines nothing would run the default sweep unasked. */
static void a_file_defining_no_cases_is_refused(void **state)
{
    (void)state;
    static const char *const empty[] = {"", "\n\n", "# only a comment\n  \t\n# another\n"};
    for (size_t i = 0; i < sizeof empty / sizeof empty[0]; i++) {
        struct zcb_sweep s;
        assert_int_not_equal(parse(empty[i], &s), 0);
        assert_non_null(strstr(zc_last_error(), "t.sweep: defines no cases"));
        assert_null(strchr(zc_last_error(), '\n'));
        zcb_sweep_free(&s);
    }
}

/* A section without keys would run the file's defaults (or the built-in
 * sweep) under its name: its keys were forgotten or went under another
 * header. It is refused at its header's line, wherever it ends. */
static void an_empty_section_is_refused(void **state)
{
    (void)state;
    static const struct bad cases[] = {
        {"# defaults\n[sweep plain]\n", "t.sweep:2: sweep 'plain' has no `key = value` line before the end "
                                         "of the file (allowed: at least one in each [sweep NAME] section)"},
        {"reps = 3\n[sweep a]\n# to do\n\n[sweep b]\nsize = 4K\n",
         "t.sweep:2: sweep 'a' has no `key = value` line before the next section (line 5)"},
        {"[sweep a]\nsize = 4K\n[sweep b]\n", "t.sweep:3: sweep 'b' has no `key = value` line"},
        {"[sweep a]", "t.sweep:1: sweep 'a' has no `key = value` line before the end of the file"},
    };
    each_is_refused(cases, sizeof cases / sizeof cases[0]);
}

/* A path or spec may hold '#': only one at the start of the line or after
 * a blank starts a comment, so nothing after it is dropped unseen. */
static void a_hash_inside_a_value_belongs_to_it(void **state)
{
    (void)state;
    struct zcb_options o;
    assert_int_equal(options_of("sink = file:/tmp/a#b # the image\n#x = 1\nreps = 3\t# three\n", 0, &o), 0);
    assert_string_equal(o.sink, "file:/tmp/a#b");
    assert_int_equal(o.reps, 3);
}

static void malformed_files_name_file_line_and_what_is_allowed(void **state)
{
    (void)state;
    static const struct bad cases[] = {
        {"reps = 2\nreps 3\n", "t.sweep:2: 'reps 3' is not `key = value`"},
        {"bogus = 1\n", "t.sweep:1: unknown option 'bogus' (allowed: workload"},
        {"output = x.csv\n", "t.sweep:1: unknown option 'output'"},
        {"[sweep a]\n[sweep a]\n", "t.sweep:2: sweep 'a' defined twice"},
        {"[swep a]\n", "t.sweep:1: bad section header '[swep a]' (allowed: [sweep NAME])"},
        {"[sweep a\n", "unterminated section header"},
        {"[sweep a/b]\n", "bad sweep name 'a/b'"},
        {"\n\nsize =\n", "t.sweep:3: key 'size' has no value"},
        {"= 3\n", "unknown option ''"},
    };
    each_is_refused(cases, sizeof cases / sizeof cases[0]);
    static char long_line[5000] = "[sweep a]\n";
    memset(long_line + 10, 'x', sizeof long_line - 11);
    struct zcb_sweep s;
    assert_int_not_equal(parse(long_line, &s), 0);
    assert_non_null(strstr(zc_last_error(), "x...' is not `key = value` or `[sweep NAME]`"));
    long_line[10] = '[';
    assert_int_not_equal(parse(long_line, &s), 0);
    assert_non_null(strstr(zc_last_error(), "x...' (allowed: [sweep NAME])"));
    assert_int_not_equal(zcb_sweep_parse("a\0b", 3, "t.sweep", &s), 0);
    assert_non_null(strstr(zc_last_error(), "NUL"));
}

static void bad_values_are_found_with_their_line(void **state)
{
    (void)state;
    static const char text[] = "[sweep a]\nreps = 1\n[sweep b]\n\nzero-ratio = 1.5\n";
    struct zcb_options o;
    assert_int_equal(options_of(text, 0, &o), 0);
    assert_int_not_equal(options_of(text, 1, &o), 0);
    assert_non_null(strstr(zc_last_error(), "t.sweep:5: bad value '1.5' for zero-ratio"));
}

static void a_missing_file_is_named(void **state)
{
    (void)state;
    struct zcb_sweep s;
    assert_int_not_equal(zcb_sweep_load("/nonexistent/quick.sweep", &s), 0);
    assert_non_null(strstr(zc_last_error(), "--config /nonexistent/quick.sweep"));
    assert_int_not_equal(zcb_sweep_load("/", &s), 0); /* a directory */
    assert_non_null(strstr(zc_last_error(), "--config /: Is a directory (allowed: a readable sweep file"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sections_inherit_defaults_and_the_command_line_wins),
        cmocka_unit_test(a_file_without_sections_is_one_sweep),
        cmocka_unit_test(a_file_defining_no_cases_is_refused),
        cmocka_unit_test(an_empty_section_is_refused),
        cmocka_unit_test(a_hash_inside_a_value_belongs_to_it),
        cmocka_unit_test(malformed_files_name_file_line_and_what_is_allowed),
        cmocka_unit_test(bad_values_are_found_with_their_line),
        cmocka_unit_test(a_missing_file_is_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
