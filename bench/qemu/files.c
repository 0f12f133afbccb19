#include "files.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsa/error.h"

int zcq_create_private_dir(const char *parent, const char *prefix, char *out, size_t len)
{
    int n = snprintf(out, len, "%s/%s-XXXXXX", parent, prefix);
    if (n < 0 || (size_t)n >= len)
        return zc_fail(ENAMETOOLONG, "%s: path too long for a working directory", parent);
    if (!mkdtemp(out))
        return zc_fail(errno, "cannot create a working directory in %s: %s", parent, strerror(errno));
    return 0;
}
