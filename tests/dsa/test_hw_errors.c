/* Hardware work queues on a host that cannot reach one: every failure says
 * what to do. This machine has no idxd, so the real open path is checked
 * end to end; the other diagnoses are checked from the facts discovery
 * would have seen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include "cpu/features.h"
#include "dsa/hw/internal.h"
#include "dsa_test_util.h"

static void assert_says(int rc, int err, const char *a, const char *b)
{
    assert_int_equal(rc, -err);
    const char *msg = zc_last_error();
    if (!strstr(msg, a) || (b && !strstr(msg, b)))
        fail_msg("message '%s' lacks '%s' / '%s'", msg, a, b ? b : "");
}

static bool idxd_loaded(void)
{
    struct stat st;
    return stat("/sys/bus/dsa", &st) == 0;
}

static void opening_without_idxd_says_modprobe(void **state)
{
    (void)state;
    if (idxd_loaded())
        skip();
    const char *specs[] = {"wq0.0", "/dev/dsa/wq0.0", "auto", "wq3.7"};
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        struct zc_dsa_wq *wq = (struct zc_dsa_wq *)specs; /* must stay untouched */
        assert_says(zc_dsa_wq_open(specs[i], &wq), ENODEV, "modprobe idxd", NULL);
        assert_ptr_equal(wq, (struct zc_dsa_wq *)specs);
    }
    assert_says(zc_dsa_discover(NULL, NULL), ENODEV, "modprobe idxd", NULL);
}

static void each_diagnosis_names_its_fix(void **state)
{
    (void)state;
    struct zc_dsa_hw_scan s = {.driver = false, .cpu_lacks_movdir64b = true};
    assert_says(zc_dsa_hw_explain(NULL, &s), ENODEV, "modprobe idxd", "lacks MOVDIR64B");
    s = (struct zc_dsa_hw_scan){.driver = true};
    assert_says(zc_dsa_hw_explain("wq0.0", &s), ENODEV, "no DSA device", "BIOS");
    s = (struct zc_dsa_hw_scan){.driver = true, .devices = 1};
    assert_says(zc_dsa_hw_explain(NULL, &s), ENODEV, "no enabled user WQ",
                "accel-config load-config -f -e -c");
    s.kernel_wqs = 2;
    assert_says(zc_dsa_hw_explain(NULL, &s), ENODEV, "only kernel-type", "load-config");
    assert_says(zc_dsa_hw_explain("wq0.3", &s), ENODEV, "no WQ named wq0.3", "accel-config list");
    s.named_seen = true;
    assert_says(zc_dsa_hw_explain("wq0.3", &s), ENODEV, "wq0.3 is not enabled", "load-config");
    s.named_enabled = true;
    assert_says(zc_dsa_hw_explain("wq0.3", &s), EINVAL, "kernel-type WQ", "load-config");
}

/* D5: the fix the messages name applies the layout over an enabled device
 * (load-config -f) and names the config by a path that exists wherever
 * zcbench runs (the old hint was relative to the source tree and without
 * -f, a no-op on an enabled device). */
static void load_config_hint_works_from_anywhere(void **state)
{
    (void)state;
    struct zc_dsa_hw_scan s = {.driver = true, .devices = 1};
    zc_dsa_hw_explain(NULL, &s);
    const char *msg = zc_last_error();
    const char *c = strstr(msg, "load-config -f -e -c /");
    if (!c)
        fail_msg("no forced load-config with an absolute path in '%s'", msg);
    char file[1024];
    const char *path = c + strlen("load-config -f -e -c ");
    snprintf(file, sizeof file, "%.*s", (int)strcspn(path, "' "), path);
    char cwd[1024];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir("/"), 0);
    struct stat st;
    if (stat(file, &st) != 0)
        fail_msg("the hint names %s, which does not exist", file);
    assert_int_equal(chdir(cwd), 0);
}

static void cpu_without_submission_instructions_is_named(void **state)
{
    (void)state;
    struct zc_dsa_wq_info info = {.name = "wq0.0", .mode = ZC_DSA_DEDICATED};
    if (zc_cpu_has(ZC_CPU_MOVDIR64B))
        assert_int_equal(zc_dsa_hw_check_cpu(&info), 0);
    else
        assert_says(zc_dsa_hw_check_cpu(&info), ENOTSUP, "lacks MOVDIR64B", "wq0.0");
    info.mode = ZC_DSA_SHARED;
    if (zc_cpu_has(ZC_CPU_ENQCMD))
        assert_int_equal(zc_dsa_hw_check_cpu(&info), 0);
    else
        assert_says(zc_dsa_hw_check_cpu(&info), ENOTSUP, "lacks ENQCMD", "shared");
    assert_int_equal(zc_dsa_cpu_has_movdir64b(), zc_cpu_has(ZC_CPU_MOVDIR64B));
    assert_int_equal(zc_dsa_cpu_has_enqcmd(), zc_cpu_has(ZC_CPU_ENQCMD));
    assert_int_equal(zc_dsa_cpu_has_waitpkg(), zc_cpu_has(ZC_CPU_WAITPKG));
}

static void device_open_errors(void **state)
{
    (void)state;
    assert_says(zc_dsa_hw_open_device("wq9.9", "/nonexistent/dsa/wq9.9", 0), ENOENT, "does not exist",
                "load-config");
    /* Permission: a root-owned 0600 file opened by an unprivileged child. */
    char path[] = "/tmp/zc-dsa-permXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    chmod(path, 0600);
    if (geteuid() != 0) {
        assert_says(zc_dsa_hw_open_device("wq0.0", path, 0), EACCES, "permission denied", path);
    } else {
        pid_t pid = fork();
        if (pid == 0) {
            if (setgid(65534) != 0 || setuid(65534) != 0)
                _exit(3);
            int rc = zc_dsa_hw_open_device("wq0.0", path, 0);
            _exit(rc == -EACCES && strstr(zc_last_error(), "permission denied") ? 0 : 1);
        }
        int st;
        waitpid(pid, &st, 0);
        assert_true(WIFEXITED(st));
        if (WEXITSTATUS(st) != 3) /* 3: cannot drop privileges here */
            assert_int_equal(WEXITSTATUS(st), 0);
    }
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(opening_without_idxd_says_modprobe),
        cmocka_unit_test(each_diagnosis_names_its_fix),
        cmocka_unit_test(load_config_hint_works_from_anywhere),
        cmocka_unit_test(cpu_without_submission_instructions_is_named),
        cmocka_unit_test(device_open_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
