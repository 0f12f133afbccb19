#include "files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dsa/error.h"

#define SUFFIX_LEN 6 /* mkdtemp's XXXXXX */

/* The inode of this process's PID namespace: a pid means a process only
 * within it (a container sharing /dev/shm has its own pids). 0 if unknown. */
static uintmax_t pid_namespace(void)
{
    struct stat st;
    return stat("/proc/self/ns/pid", &st) == 0 ? (uintmax_t)st.st_ino : 0;
}

int zcq_create_private_dir(const char *parent, const char *prefix, char *out, size_t len)
{
    int n = snprintf(out, len, "%s/%s-%ju-%ld-XXXXXX", parent, prefix, pid_namespace(), (long)getpid());
    if (n < 0 || (size_t)n >= len)
        return zc_fail(ENAMETOOLONG, "%s: path too long for a working directory", parent);
    if (!mkdtemp(out))
        return zc_fail(errno, "cannot create a working directory in %s: %s", parent, strerror(errno));
    return 0;
}

/* The owner's pid when name is PREFIX-NS-PID-XXXXXX with this namespace's
 * NS; 0 otherwise. */
static pid_t owner_of(const char *name, const char *prefix, uintmax_t ns)
{
    size_t plen = strlen(prefix);
    if (strncmp(name, prefix, plen) != 0 || name[plen] != '-')
        return 0;
    char *end;
    errno = 0;
    uintmax_t their_ns = strtoumax(name + plen + 1, &end, 10);
    if (errno || their_ns != ns || *end != '-')
        return 0;
    const char *pid_text = end + 1;
    long pid = strtol(pid_text, &end, 10);
    if (errno || end == pid_text || pid <= 0 || pid_text[0] == '0' || *end != '-' ||
        strlen(end + 1) != SUFFIX_LEN)
        return 0;
    return (pid_t)pid;
}

static bool is_one_of(const char *name, const char *const *files)
{
    for (; *files; files++)
        if (strcmp(name, *files) == 0)
            return true;
    return false;
}

/* Empties and removes PARENT/name (opened without following a link) when it
 * is this user's directory holding only `files`. */
static bool remove_dir_of_ours(int parent_fd, const char *name, const char *const *files)
{
    int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return false;
    struct stat st;
    DIR *d = fstat(fd, &st) == 0 && st.st_uid == geteuid() ? fdopendir(fd) : NULL;
    if (!d) {
        close(fd);
        return false;
    }
    bool ours = true;
    for (struct dirent *e; ours && (e = readdir(d)) != NULL;)
        ours = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || is_one_of(e->d_name, files);
    for (const char *const *f = files; ours && *f; f++)
        if (unlinkat(fd, *f, 0) != 0 && errno != ENOENT)
            ours = false;
    closedir(d);
    return ours && unlinkat(parent_fd, name, AT_REMOVEDIR) == 0;
}

size_t zcq_remove_stale_dirs(const char *parent, const char *prefix, const char *const *files)
{
    uintmax_t ns = pid_namespace();
    int parent_fd = ns ? open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    DIR *d = parent_fd >= 0 ? fdopendir(parent_fd) : NULL;
    if (!d) {
        if (parent_fd >= 0)
            close(parent_fd);
        return 0;
    }
    size_t removed = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        pid_t pid = owner_of(e->d_name, prefix, ns);
        if (pid && kill(pid, 0) != 0 && errno == ESRCH && remove_dir_of_ours(parent_fd, e->d_name, files))
            removed++;
    }
    closedir(d);
    return removed;
}
