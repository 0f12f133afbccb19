/* The owned-file rule in-process: a new file is created and stamped, a
 * stamped one is reused, anyone else's is refused and left byte for byte as
 * it was unless overwrite, and the space check counts what a truncation frees. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <zc/error.h>

#include "driver/owned_file.h"

#define IMG "owned-test.img"
#define STAMP "zcbench test-image             \n"

static struct zcb_owned_request req(const char *path, const char *kind, bool overwrite)
{
    return (struct zcb_owned_request){path, kind, NULL, overwrite, "--test", "--test-overwrite"};
}

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static size_t slurp(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, len - 1, f);
    fclose(f);
    buf[n] = '\0';
    return n;
}

static int setup(void **state)
{
    (void)state;
    unlink(IMG);
    unsetenv("ZC_TEST_FREE_BYTES");
    return 0;
}

static void a_new_file_is_created_stamped_and_reused(void **state)
{
    (void)state;
    struct zcb_owned_request r = req(IMG, "test-image", false);
    struct zcb_owned_file f;
    assert_int_equal(zcb_owned_open(&r, &f), 0);
    assert_int_equal(f.data_start, ZCB_OWNED_STAMP_BYTES);
    assert_int_equal(lseek(f.fd, 0, SEEK_CUR), ZCB_OWNED_STAMP_BYTES);
    assert_int_equal(write(f.fd, "data", 4), 4);
    close(f.fd);
    char buf[128];
    assert_int_equal(slurp(IMG, buf, sizeof buf), ZCB_OWNED_STAMP_BYTES + 4);
    assert_memory_equal(buf, STAMP "data", ZCB_OWNED_STAMP_BYTES + 4);

    assert_int_equal(zcb_owned_preflight(&r, 1), 0);
    assert_int_equal(zcb_owned_open(&r, &f), 0); /* reused, contents kept */
    close(f.fd);
    assert_int_equal(slurp(IMG, buf, sizeof buf), ZCB_OWNED_STAMP_BYTES + 4);
    assert_int_equal(zcb_owned_remove(IMG), 0);
    assert_int_equal(access(IMG, F_OK), -1);
}

static void someone_elses_file_is_refused_and_left_as_it_is(void **state)
{
    (void)state;
    static const char *const others[] = {
        "precious\n",
        "zcbench other-kind             \ndata", /* another kind of zcbench file */
        "",                                      /* an empty file is nobody's image */
    };
    for (size_t i = 0; i < sizeof others / sizeof *others; i++) {
        put(IMG, others[i]);
        struct zcb_owned_request r = req(IMG, "test-image", false);
        struct zcb_owned_file f;
        assert_int_equal(zcb_owned_preflight(&r, 0), -EEXIST);
        assert_non_null(strstr(zc_last_error(), "--test: " IMG " exists and zcbench did not create it"));
        assert_non_null(strstr(zc_last_error(), "--test-overwrite"));
        assert_int_equal(zcb_owned_open(&r, &f), -EEXIST);
        assert_int_equal(f.fd, -1);
        char buf[128];
        assert_int_equal(slurp(IMG, buf, sizeof buf), strlen(others[i]));
        assert_string_equal(buf, others[i]);
    }
    unlink(IMG);
}

static void overwrite_takes_any_regular_file_over(void **state)
{
    (void)state;
    put(IMG, "precious, but the user said so\n");
    struct zcb_owned_request r = req(IMG, "test-image", true);
    struct zcb_owned_file f;
    assert_int_equal(zcb_owned_preflight(&r, 0), 0);
    assert_int_equal(zcb_owned_open(&r, &f), 0);
    close(f.fd);
    char buf[128];
    assert_int_equal(slurp(IMG, buf, sizeof buf), ZCB_OWNED_STAMP_BYTES);
    assert_string_equal(buf, STAMP);
    unlink(IMG);
}

static void what_is_not_a_regular_file_is_refused_even_with_overwrite(void **state)
{
    (void)state;
    assert_int_equal(mkdir(IMG, 0755), 0);
    struct zcb_owned_request r = req(IMG, "test-image", true);
    struct zcb_owned_file f;
    assert_int_equal(zcb_owned_open(&r, &f), -EINVAL);
    assert_non_null(strstr(zc_last_error(), "is not a regular file"));
    assert_int_equal(rmdir(IMG), 0);
    put("owned-target", "precious\n");
    assert_int_equal(symlink("owned-target", IMG), 0);
    assert_int_equal(zcb_owned_preflight(&r, 0), -EINVAL);
    assert_int_equal(zcb_owned_open(&r, &f), -EINVAL);
    char buf[64];
    slurp("owned-target", buf, sizeof buf);
    assert_string_equal(buf, "precious\n");
    unlink(IMG);
    unlink("owned-target");
}

/* kind NULL: another format's file (a qcow2), created exclusively, never
 * recognised later. */
static void an_unstamped_file_is_created_but_never_reused(void **state)
{
    (void)state;
    struct zcb_owned_request r = req(IMG, NULL, false);
    struct zcb_owned_file f;
    assert_int_equal(zcb_owned_open(&r, &f), 0);
    assert_int_equal(f.data_start, 0);
    close(f.fd);
    struct stat st;
    assert_int_equal(stat(IMG, &st), 0);
    assert_int_equal(st.st_size, 0);
    assert_int_equal(zcb_owned_open(&r, &f), -EEXIST);
    r.overwrite = true;
    assert_int_equal(zcb_owned_open(&r, &f), 0);
    close(f.fd);
    assert_int_equal(zcb_owned_remove(IMG), 0);
}

static bool starts_with_ours(int fd)
{
    char head[4];
    return pread(fd, head, sizeof head, 0) == 4 && memcmp(head, "OURS", 4) == 0;
}

/* kind NULL with a recogniser: another format's file zcbench can tell apart
 * by its contents (Google Benchmark's JSON naming zcbench). */
static void an_unstamped_file_the_caller_recognises_is_reused(void **state)
{
    (void)state;
    struct zcb_owned_request r = req(IMG, NULL, false);
    r.recognise = starts_with_ours;
    struct zcb_owned_file f;
    put(IMG, "OURS and more");
    assert_int_equal(zcb_owned_preflight(&r, 0), 0);
    assert_int_equal(zcb_owned_open(&r, &f), 0);
    assert_int_equal(f.data_start, 0);
    close(f.fd);
    put(IMG, "THEIRS");
    assert_int_equal(zcb_owned_preflight(&r, 0), -EEXIST);
    assert_int_equal(zcb_owned_open(&r, &f), -EEXIST);
    char buf[16];
    slurp(IMG, buf, sizeof buf);
    assert_string_equal(buf, "THEIRS");
    assert_int_equal(zcb_owned_remove(IMG), 0);
}

static void the_space_check_counts_free_space_and_what_truncation_frees(void **state)
{
    (void)state;
    struct zcb_owned_request r = req(IMG, "test-image", false);
    setenv("ZC_TEST_FREE_BYTES", "1000", 1);
    assert_int_equal(zcb_owned_preflight(&r, 1000), 0);
    assert_int_equal(zcb_owned_preflight(&r, 1001), -ENOSPC);
    assert_non_null(strstr(zc_last_error(), "--test: " IMG " needs 1001 bytes"));
    assert_non_null(strstr(zc_last_error(), "has 1000 bytes (1.0 KiB) free"));
    assert_int_equal(access(IMG, F_OK), -1); /* nothing created */

    /* An image of ours about to be truncated counts as room. */
    struct zcb_owned_file f;
    assert_int_equal(zcb_owned_open(&r, &f), 0);
    static char block[1 << 16];
    assert_int_equal(write(f.fd, block, sizeof block), (ssize_t)sizeof block);
    assert_int_equal(fsync(f.fd), 0);
    close(f.fd);
    assert_int_equal(zcb_owned_preflight(&r, 1000 + sizeof block), 0);
    assert_int_equal(zcb_owned_preflight(&r, 1000 + 8 * sizeof block), -ENOSPC);

    setenv("ZC_TEST_FREE_BYTES", "lots", 1);
    assert_int_equal(zcb_owned_preflight(&r, 1), -EINVAL);
    assert_non_null(strstr(zc_last_error(), "ZC_TEST_FREE_BYTES: bad value 'lots'"));
    unsetenv("ZC_TEST_FREE_BYTES");
    assert_int_equal(zcb_owned_remove(IMG), 0);

    r.path = "no-such-dir/" IMG;
    assert_int_equal(zcb_owned_preflight(&r, 1), -ENOENT);
    assert_non_null(strstr(zc_last_error(), "directory no-such-dir"));
}

static void remove_all_deletes_what_was_opened_and_not_removed(void **state)
{
    (void)state;
    static const char *const paths[] = {"owned-a.img", "owned-b.img", "owned-c.img"};
    for (size_t i = 0; i < 3; i++) {
        unlink(paths[i]);
        struct zcb_owned_request r = req(paths[i], "test-image", false);
        struct zcb_owned_file f;
        assert_int_equal(zcb_owned_open(&r, &f), 0);
        close(f.fd);
    }
    assert_int_equal(zcb_owned_remove(paths[1]), 0);
    put("owned-other", "not ours\n");
    /* A file renamed into the place of one opened here is someone else's. */
    put("owned-replacement", "theirs\n");
    assert_int_equal(rename("owned-replacement", paths[2]), 0);
    assert_int_equal(zcb_owned_remove_all(), 1);
    assert_int_equal(access(paths[0], F_OK), -1);
    assert_int_equal(access(paths[1], F_OK), -1);
    assert_int_equal(access(paths[2], F_OK), 0);
    assert_int_equal(access("owned-other", F_OK), 0);
    assert_int_equal(zcb_owned_remove_all(), 0);
    unlink("owned-other");
    unlink(paths[2]);
}

/* An option's PATH[,overwrite]: the key is taken off only at the end and
 * after a name, and an empty or too long PATH is refused. */
static void an_option_path_says_overwrite_at_its_end(void **state)
{
    (void)state;
    char path[16];
    bool overwrite;
    assert_true(zcb_owned_parse_path("a.img", path, sizeof path, &overwrite));
    assert_string_equal(path, "a.img");
    assert_false(overwrite);
    assert_true(zcb_owned_parse_path("a.img,overwrite", path, sizeof path, &overwrite));
    assert_string_equal(path, "a.img");
    assert_true(overwrite);
    assert_true(zcb_owned_parse_path("a,overwrite.img", path, sizeof path, &overwrite));
    assert_string_equal(path, "a,overwrite.img");
    assert_false(overwrite);
    assert_false(zcb_owned_parse_path("", path, sizeof path, &overwrite));
    assert_true(zcb_owned_parse_path(",overwrite", path, sizeof path, &overwrite)); /* a name */
    assert_string_equal(path, ",overwrite");
    assert_false(overwrite);
    assert_false(zcb_owned_parse_path("0123456789abcdef", path, sizeof path, &overwrite));
    assert_true(zcb_owned_parse_path("0123456789abcde,overwrite", path, sizeof path, &overwrite));
    assert_string_equal(path, "0123456789abcde");
}

/* Its request names the option in refusals, and how to allow overwrite. */
static void an_option_request_names_the_option(void **state)
{
    (void)state;
    put(IMG, "someone else's\n");
    struct zcb_owned_option o;
    zcb_owned_option(&o, "--image ", IMG, NULL, false);
    struct zcb_owned_file f;
    assert_int_equal(zcb_owned_open(&o.r, &f), -EEXIST);
    assert_non_null(strstr(zc_last_error(), "--image " IMG ": " IMG " exists"));
    assert_non_null(strstr(zc_last_error(), "or --image " IMG ",overwrite)"));
    zcb_owned_option(&o, "--image ", IMG, NULL, true);
    assert_int_equal(zcb_owned_open(&o.r, &f), 0);
    close(f.fd);
    assert_int_equal(zcb_owned_remove(IMG), 0);
    assert_int_equal(access(IMG, F_OK), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(a_new_file_is_created_stamped_and_reused, setup),
        cmocka_unit_test_setup(someone_elses_file_is_refused_and_left_as_it_is, setup),
        cmocka_unit_test_setup(overwrite_takes_any_regular_file_over, setup),
        cmocka_unit_test_setup(what_is_not_a_regular_file_is_refused_even_with_overwrite, setup),
        cmocka_unit_test_setup(an_unstamped_file_is_created_but_never_reused, setup),
        cmocka_unit_test_setup(an_unstamped_file_the_caller_recognises_is_reused, setup),
        cmocka_unit_test_setup(the_space_check_counts_free_space_and_what_truncation_frees, setup),
        cmocka_unit_test_setup(remove_all_deletes_what_was_opened_and_not_removed, setup),
        cmocka_unit_test_setup(an_option_path_says_overwrite_at_its_end, setup),
        cmocka_unit_test_setup(an_option_request_names_the_option, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
