#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dsa/error.h"

int zcq_create_new_file(const char *path, const char *what)
{
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0)
        return fd;
    if (errno == EEXIST)
        return zc_fail(EEXIST, "%s %s: the file exists and zcbench never overwrites a file "
                               "(allowed: a path that does not exist)", what, path);
    return zc_fail(errno, "%s %s: cannot create: %s", what, path, strerror(errno));
}

int zcq_create_private_dir(const char *parent, const char *prefix, char *out, size_t len)
{
    int n = snprintf(out, len, "%s/%s-XXXXXX", parent, prefix);
    if (n < 0 || (size_t)n >= len)
        return zc_fail(ENAMETOOLONG, "%s: path too long for a working directory", parent);
    if (!mkdtemp(out))
        return zc_fail(errno, "cannot create a working directory in %s: %s", parent, strerror(errno));
    return 0;
}
