#include "owned_file.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "dsa/error.h"
#include "options.h"

/* What this process opened, for zcb_owned_remove_all: the path and the file
 * (device, inode) it named then, so that a file renamed into its place since
 * is not removed. A signal handler reads it: a slot is written only while it
 * is not live. */
#define REMEMBERED_MAX 32
static struct {
    volatile sig_atomic_t live;
    char path[ZCB_PATH_MAX];
    dev_t dev;
    ino_t ino;
} remembered[REMEMBERED_MAX];
static pthread_mutex_t remember_lock = PTHREAD_MUTEX_INITIALIZER;

static int remember(const char *path, int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return zc_fail(errno, "%s: %s", path, strerror(errno));
    int slot = -1;
    pthread_mutex_lock(&remember_lock);
    for (int i = 0; i < REMEMBERED_MAX; i++) {
        if (remembered[i].live && strcmp(remembered[i].path, path) == 0) {
            slot = i;
            break;
        }
        if (!remembered[i].live && slot < 0)
            slot = i;
    }
    if (slot >= 0) {
        remembered[slot].live = 0;
        snprintf(remembered[slot].path, sizeof remembered[slot].path, "%s", path);
        remembered[slot].dev = st.st_dev;
        remembered[slot].ino = st.st_ino;
        remembered[slot].live = 1;
    }
    pthread_mutex_unlock(&remember_lock);
    return slot >= 0 ? 0 : zc_fail(EMFILE, "%s: more than %d files to look after", path, REMEMBERED_MAX);
}

static void forget(const char *path)
{
    pthread_mutex_lock(&remember_lock);
    for (int i = 0; i < REMEMBERED_MAX; i++)
        if (remembered[i].live && strcmp(remembered[i].path, path) == 0)
            remembered[i].live = 0;
    pthread_mutex_unlock(&remember_lock);
}

size_t zcb_owned_remove_all(void)
{
    size_t n = 0;
    struct stat st;
    for (int i = 0; i < REMEMBERED_MAX; i++)
        if (remembered[i].live) {
            if (lstat(remembered[i].path, &st) == 0 && st.st_dev == remembered[i].dev &&
                st.st_ino == remembered[i].ino)
                n += unlink(remembered[i].path) == 0;
            remembered[i].live = 0;
        }
    return n;
}

int zcb_owned_remove(const char *path)
{
    forget(path);
    if (unlink(path) != 0 && errno != ENOENT)
        return zc_fail(errno, "%s: cannot remove: %s", path, strerror(errno));
    return 0;
}

bool zcb_owned_parse_path(const char *text, char *path, size_t len, bool *overwrite)
{
    size_t n = strlen(text), key = strlen(ZCB_OWNED_OVERWRITE_KEY);
    *overwrite = n > key && strcmp(text + n - key, ZCB_OWNED_OVERWRITE_KEY) == 0;
    if (*overwrite)
        n -= key;
    if (!n || n >= len)
        return false;
    memcpy(path, text, n);
    path[n] = '\0';
    return true;
}

void zcb_owned_option(struct zcb_owned_option *o, const char *prefix, const char *path,
                      const char *kind, bool overwrite)
{
    snprintf(o->what, sizeof o->what, "%s%s", prefix, path);
    snprintf(o->how, sizeof o->how, "%s%s%s", prefix, path, ZCB_OWNED_OVERWRITE_KEY);
    o->r = (struct zcb_owned_request){path, kind, NULL, overwrite, o->what, o->how};
}

static void make_stamp(const char *kind, char stamp[ZCB_OWNED_STAMP_BYTES])
{
    memset(stamp, ' ', ZCB_OWNED_STAMP_BYTES);
    char text[ZCB_OWNED_STAMP_BYTES + 1];
    int n = snprintf(text, sizeof text, "zcbench %.*s", ZCB_OWNED_KIND_MAX, kind);
    memcpy(stamp, text, (size_t)n);
    stamp[ZCB_OWNED_STAMP_BYTES - 1] = '\n';
}

/* Whether zcbench wrote the file: its stamp, or what the caller recognises. */
static bool written_by_zcbench(const struct zcb_owned_request *r, int fd)
{
    char want[ZCB_OWNED_STAMP_BYTES], got[ZCB_OWNED_STAMP_BYTES];
    if (!r->kind)
        return r->recognise && r->recognise(fd);
    make_stamp(r->kind, want);
    return pread(fd, got, sizeof got, 0) == (ssize_t)sizeof got && memcmp(got, want, sizeof got) == 0;
}

static int write_stamp(const struct zcb_owned_request *r, int fd)
{
    char stamp[ZCB_OWNED_STAMP_BYTES];
    make_stamp(r->kind, stamp);
    ssize_t n = pwrite(fd, stamp, sizeof stamp, 0);
    if (n == (ssize_t)sizeof stamp)
        return 0;
    return zc_fail(n < 0 ? errno : ENOSPC, "%s: %s: cannot write: %s", r->what, r->path,
                   strerror(n < 0 ? errno : ENOSPC));
}

/* Opens a path that exists, refusing what is not a regular file (a device, a
 * directory, a symbolic link) before opening it: opening some devices acts. */
static int open_existing(const struct zcb_owned_request *r, int flags, struct stat *st)
{
    struct stat before;
    if (lstat(r->path, &before) != 0)
        return zc_fail(errno, "%s: %s: %s", r->what, r->path, strerror(errno));
    int fd = S_ISREG(before.st_mode) ? open(r->path, flags | O_NOFOLLOW | O_CLOEXEC) : -1;
    if (fd >= 0 && fstat(fd, st) == 0 && S_ISREG(st->st_mode) && st->st_ino == before.st_ino &&
        st->st_dev == before.st_dev)
        return fd;
    if (fd >= 0)
        close(fd);
    return zc_fail(EINVAL, "%s: %s exists and is not a regular file (allowed: a new path or a "
                           "regular file zcbench created)", r->what, r->path);
}

static int refuse(const struct zcb_owned_request *r)
{
    return zc_fail(EEXIST, "%s: %s exists and zcbench did not create it; it is left as it is "
                           "(allowed: a path that does not exist, a file zcbench created%s%s)",
                   r->what, r->path, r->overwrite_how ? ", or " : "",
                   r->overwrite_how ? r->overwrite_how : "");
}

static void human(uint64_t bytes, char *buf, size_t len)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
    double v = (double)bytes / 1024;
    int u = 0;
    while (u < 3 && v >= 1024) {
        v /= 1024;
        u++;
    }
    snprintf(buf, len, "%" PRIu64 " bytes (%.1f %s)", bytes, v, units[u]);
}

int zcb_dir_free_bytes(const char *dir, const char *what, uint64_t *out)
{
    const char *fake = getenv("ZC_TEST_FREE_BYTES");
    if (fake && *fake) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(fake, &end, 10);
        if (errno || *end)
            return zc_fail(EINVAL, "ZC_TEST_FREE_BYTES: bad value '%s' (allowed: bytes, an integer)",
                           fake);
        *out = v;
        return 0;
    }
    struct statvfs vfs;
    if (statvfs(dir, &vfs) != 0)
        return zc_fail(errno, "%s: directory %s: %s (allowed: a path in an existing directory)", what, dir,
                       strerror(errno));
    *out = (uint64_t)vfs.f_bavail * vfs.f_frsize;
    return 0;
}

/* Free space of the file system path is (or would be) created on. */
static int free_bytes(const struct zcb_owned_request *r, uint64_t *out)
{
    char copy[ZCB_PATH_MAX];
    snprintf(copy, sizeof copy, "%s", r->path);
    return zcb_dir_free_bytes(dirname(copy), r->what, out);
}

int zcb_owned_preflight(const struct zcb_owned_request *r, uint64_t need)
{
    uint64_t reclaimable = 0, avail = 0;
    struct stat st;
    if (lstat(r->path, &st) == 0) {
        int fd = open_existing(r, O_RDONLY, &st);
        if (fd < 0)
            return fd;
        bool ours = written_by_zcbench(r, fd);
        close(fd);
        if (!ours && !r->overwrite)
            return refuse(r);
        reclaimable = (uint64_t)st.st_blocks * 512; /* truncated before it is written */
    } else if (errno != ENOENT) {
        return zc_fail(errno, "%s: %s: %s", r->what, r->path, strerror(errno));
    }
    int rc = free_bytes(r, &avail);
    if (rc || need <= avail + reclaimable)
        return rc;
    char n[64], a[64];
    human(need, n, sizeof n);
    human(avail + reclaimable, a, sizeof a);
    return zc_fail(ENOSPC, "%s: %s needs %s but its file system has %s free (allowed: a path on "
                           "a file system with room)", r->what, r->path, n, a);
}

int zcb_owned_open(const struct zcb_owned_request *r, struct zcb_owned_file *f)
{
    f->fd = -1;
    f->data_start = r->kind ? ZCB_OWNED_STAMP_BYTES : 0;
    bool created = true, stamp = r->kind != NULL;
    int fd = open(r->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno != EEXIST)
        return zc_fail(errno, "%s: %s: cannot create: %s", r->what, r->path, strerror(errno));
    if (fd < 0) {
        struct stat st;
        created = false;
        fd = open_existing(r, O_RDWR, &st);
        if (fd < 0)
            return fd;
        bool ours = written_by_zcbench(r, fd);
        if (!ours && !r->overwrite) {
            close(fd);
            return refuse(r);
        }
        stamp = stamp && !ours;
        if (!ours && ftruncate(fd, 0) != 0) {
            int err = errno;
            close(fd);
            return zc_fail(err, "%s: %s: cannot truncate: %s", r->what, r->path, strerror(err));
        }
    }
    int rc = stamp ? write_stamp(r, fd) : 0;
    if (!rc && lseek(fd, (off_t)f->data_start, SEEK_SET) < 0)
        rc = zc_fail(errno, "%s: %s: cannot seek: %s", r->what, r->path, strerror(errno));
    if (!rc)
        rc = remember(r->path, fd);
    if (rc) {
        close(fd);
        if (created)
            unlink(r->path);
        return rc;
    }
    f->fd = fd;
    return 0;
}
