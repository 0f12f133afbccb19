#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cpu/tsc.h"
#include "dsa/error.h"
#include "trace.h"

#define ARGS_MAX 40

int zcq_find_program(const char *name, const char *hint, char *out, size_t len)
{
    if (strchr(name, '/')) {
        if (access(name, X_OK) == 0 && (size_t)snprintf(out, len, "%s", name) < len)
            return 0;
        return zc_fail(ENOENT, "%s: not an executable program (%s)", name, hint);
    }
    const char *path = getenv("PATH");
    for (const char *dir = path ? path : "/usr/bin:/bin"; *dir;) {
        size_t n = strcspn(dir, ":");
        if (n && (size_t)snprintf(out, len, "%.*s/%s", (int)n, dir, name) < len && access(out, X_OK) == 0)
            return 0;
        dir += n + (dir[n] == ':');
    }
    return zc_fail(ENOENT, "%s not found in PATH (%s)", name, hint);
}

/* How long `qemu --version` may take: a program that does not answer is
 * not a QEMU zcbench can use, and must not hold the run. */
#define VERSION_TIMEOUT_MS 10000

/* fork + exec with stdout on out_fd, or on stderr when out_fd < 0 (zcbench's
 * stdout may be the CSV), in its own process group (a Ctrl-C reaches
 * zcbench, which ends the case and stops QEMU itself) and killed if zcbench
 * dies. */
static pid_t spawn(char *const argv[], int out_fd)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
    dup2(out_fd >= 0 ? out_fd : STDERR_FILENO, STDOUT_FILENO);
    execv(argv[0], argv);
    _exit(127);
}

/* How a child ended (wait status st), as the failure it is; `when` follows
 * the reason ("" or " at startup"). */
static int ended(int st, const char *what, const char *when)
{
    if (WIFEXITED(st))
        return zc_fail(EIO, "%s exited with status %d%s (its messages are above)", what, WEXITSTATUS(st),
                       when);
    return zc_fail(EIO, "%s was killed by signal %d%s", what, WTERMSIG(st), when);
}

static int wait_child(pid_t pid, const char *what)
{
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return zc_fail(errno, "%s: waitpid: %s", what, strerror(errno));
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : ended(st, what, "");
}

/* What the child wrote to fd until it closed it; false when that took
 * longer than timeout_ms. */
static bool read_all(int fd, char *out, size_t len, int timeout_ms)
{
    uint64_t deadline = zc_now_ns() + (uint64_t)timeout_ms * 1000000;
    size_t used = 0;
    for (;;) {
        uint64_t now = zc_now_ns();
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int n = now < deadline ? poll(&p, 1, (int)((deadline - now) / 1000000) + 1) : 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0) {
            out[used] = '\0';
            return false;
        }
        ssize_t got = n < 0 ? -1 : read(fd, out + used, len - 1 - used);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0 || (used += (size_t)got) == len - 1)
            break;
    }
    out[used] = '\0';
    return true;
}

int zcq_qemu_version(const char *qemu, struct zcq_version *v)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return zc_fail(errno, "pipe: %s", strerror(errno));
    char *argv[] = {(char *)qemu, "--version", NULL};
    pid_t pid = spawn(argv, fds[1]);
    int err = errno;
    close(fds[1]);
    char out[512];
    bool answered = pid > 0 && read_all(fds[0], out, sizeof out, VERSION_TIMEOUT_MS);
    close(fds[0]);
    if (pid < 0)
        return zc_fail(err, "cannot start %s: %s", qemu, strerror(err));
    char what[600];
    snprintf(what, sizeof what, "%s --version", qemu);
    if (!answered) {
        kill(-pid, SIGKILL); /* its process group: a script's children too */
        waitpid(pid, NULL, 0);
        return zc_fail(ETIMEDOUT, "%s did not answer in %d s (allowed: a QEMU program)", what,
                       VERSION_TIMEOUT_MS / 1000);
    }
    int rc = wait_child(pid, what);
    if (rc)
        return rc;
    const char *p = strstr(out, "version ");
    memset(v, 0, sizeof *v);
    if (!p || sscanf(p, "version %d.%d.%d", &v->major, &v->minor, &v->micro) < 2)
        return zc_fail(EINVAL, "%s: cannot read a version in '%.60s'", what, out);
    snprintf(v->text, sizeof v->text, "%d.%d.%d", v->major, v->minor, v->micro);
    if (v->major < ZCQ_MIN_MAJOR || (v->major == ZCQ_MIN_MAJOR && v->minor < ZCQ_MIN_MINOR))
        return zc_fail(EINVAL, "%s is QEMU %s, too old: zcbench needs QEMU %d.%d or newer "
                               "(-machine memory-backend=)", qemu, v->text, ZCQ_MIN_MAJOR, ZCQ_MIN_MINOR);
    return 0;
}

int zcq_image_create(const char *qemu_img, const char *path)
{
    char *argv[] = {(char *)qemu_img, "create", "-q", "-f", "qcow2", (char *)path, "1M", NULL};
    pid_t pid = spawn(argv, -1);
    if (pid < 0)
        return zc_fail(errno, "cannot start %s: %s", qemu_img, strerror(errno));
    char what[600];
    snprintf(what, sizeof what, "%s create -f qcow2 %s", qemu_img, path);
    return wait_child(pid, what);
}

/* A value inside a QEMU option list: commas are doubled. */
static int opt_value(char *out, size_t len, const char *prefix, const char *value, const char *suffix)
{
    size_t used = (size_t)snprintf(out, len, "%s", prefix);
    for (const char *p = value; *p && used + 2 < len; p++) {
        if (*p == ',')
            out[used++] = ',';
        out[used++] = *p;
    }
    int n = snprintf(out + used, len > used ? len - used : 0, "%s", suffix);
    if (used + 2 >= len || n < 0 || used + (size_t)n >= len)
        return zc_fail(ENAMETOOLONG, "QEMU option too long for path %s", value);
    return 0;
}

struct argv_buf {
    char *v[ARGS_MAX];
    size_t n;
    char mem[1200], drive[1200], qmp[300], size[32];
};

static int build_argv(struct argv_buf *a, const struct zcq_vm_config *c)
{
    int rc = opt_value(a->mem, sizeof a->mem, "memory-backend-file,id=zcmem,share=on,prealloc=on,mem-path=",
                       c->ram_path, "");
    if (!rc)
        rc = opt_value(a->qmp, sizeof a->qmp, "unix:", c->qmp_path, ",server=on,wait=off");
    if (!rc && c->image)
        rc = opt_value(a->drive, sizeof a->drive, "driver=file,node-name=zcfile,filename=", c->image, "");
    if (rc)
        return rc;
    size_t used = strlen(a->mem);
    snprintf(a->mem + used, sizeof a->mem - used, ",size=%" PRIu64, c->ram_bytes);
    snprintf(a->size, sizeof a->size, "%" PRIu64 "k", c->ram_bytes >> 10);
    const char *fixed[] = {c->qemu, "-nodefaults", "-no-user-config", "-display", "none", "-S",
                           /* thread names (live_migration, multifdsend_N) for per-thread CPU time */
                           "-name", "zcbench,debug-threads=on", "-machine", "none,memory-backend=zcmem",
                           "-m", a->size, "-object", a->mem, "-qmp", a->qmp};
    a->n = 0;
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        a->v[a->n++] = (char *)fixed[i];
    if (strcmp(c->accel, "tcg") != 0) {
        a->v[a->n++] = "-accel";
        a->v[a->n++] = "kvm";
    }
    if (strcmp(c->accel, "kvm") != 0) { /* auto: QEMU falls back to TCG when KVM fails */
        a->v[a->n++] = "-accel";
        a->v[a->n++] = "tcg";
    }
    if (c->trace_log) {
        const char *trace[] = {ZCQ_TRACE_ARGS(c->trace_log)};
        for (size_t i = 0; i < sizeof trace / sizeof trace[0]; i++)
            a->v[a->n++] = (char *)trace[i];
    }
    if (c->image) {
        a->v[a->n++] = "-blockdev";
        a->v[a->n++] = a->drive;
        a->v[a->n++] = "-blockdev";
        a->v[a->n++] = "driver=qcow2,file=zcfile,node-name=zcdisk";
    }
    a->v[a->n] = NULL;
    return 0;
}

/* Whether the child has exited; reaped and the reason in the message. */
static bool exited(struct zcq_vm *vm, const char *qemu, int *rc)
{
    int st;
    if (waitpid(vm->pid, &st, WNOHANG) != vm->pid)
        return false;
    vm->pid = 0;
    *rc = ended(st, qemu, " at startup"); /* even status 0: QEMU is to run until told to quit */
    return true;
}

static int connect_qmp(struct zcq_vm *vm, const struct zcq_vm_config *c)
{
    uint64_t deadline = zc_now_ns() + (uint64_t)c->timeout_ms * 1000000;
    int rc;
    for (;;) {
        if (exited(vm, c->qemu, &rc))
            return rc;
        if (c->cancelled && c->cancelled())
            return zc_fail(ECANCELED, "interrupted while %s started", c->qemu);
        rc = zcq_qmp_connect(&vm->qmp, c->qmp_path);
        if (!rc)
            break;
        if ((rc != -ENOENT && rc != -ECONNREFUSED) || zc_now_ns() > deadline)
            return zc_fail(-rc, "%s (QEMU did not open its QMP socket)", zc_last_error());
        nanosleep(&(struct timespec){0, 10000000}, NULL);
    }
    vm->qmp.cancelled = c->cancelled;
    int left = (int)((deadline - zc_now_ns()) / 1000000);
    rc = zcq_qmp_handshake(&vm->qmp, left > 1000 ? left : 1000, NULL);
    if (rc && exited(vm, c->qemu, &rc))
        return rc;
    return rc;
}

static int query_accel(struct zcq_vm *vm)
{
    json_object *ret = NULL, *enabled;
    int rc = zcq_qmp_call(&vm->qmp, "query-kvm", NULL, &ret, 5000);
    if (rc)
        return rc;
    vm->kvm = json_object_object_get_ex(ret, "enabled", &enabled) && json_object_get_boolean(enabled);
    json_object_put(ret);
    return 0;
}

int zcq_vm_start(struct zcq_vm *vm, const struct zcq_vm_config *cfg)
{
    memset(vm, 0, sizeof *vm);
    vm->qmp.fd = -1;
    static struct argv_buf a;
    int rc = build_argv(&a, cfg);
    if (rc)
        return rc;
    vm->pid = spawn(a.v, -1);
    if (vm->pid < 0) {
        vm->pid = 0;
        return zc_fail(errno, "cannot start %s: %s", cfg->qemu, strerror(errno));
    }
    rc = connect_qmp(vm, cfg);
    if (!rc)
        rc = query_accel(vm);
    if (rc) {
        char why[512];
        snprintf(why, sizeof why, "%s", zc_last_error());
        zcq_vm_stop(vm);
        return zc_fail(-rc, "%s", why);
    }
    return 0;
}

void zcq_vm_stop(struct zcq_vm *vm)
{
    if (vm->pid > 0) {
        /* A QEMU that does not answer quit is not waited for. */
        vm->qmp.cancelled = NULL;
        bool quit = vm->qmp.fd >= 0 && zcq_qmp_call(&vm->qmp, "quit", NULL, NULL, 2000) == 0;
        int st;
        uint64_t deadline = zc_now_ns() + (quit ? 10000000000ull : 0);
        while (waitpid(vm->pid, &st, WNOHANG) == 0) {
            if (zc_now_ns() > deadline) {
                kill(vm->pid, SIGKILL);
                waitpid(vm->pid, &st, 0);
                break;
            }
            nanosleep(&(struct timespec){0, 5000000}, NULL);
        }
    }
    vm->pid = 0;
    zcq_qmp_close(&vm->qmp);
}
