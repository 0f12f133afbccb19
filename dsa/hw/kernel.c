/* Which kernel table the hardware path uses: Linux unless ZC_DSA_KERNEL
 * (or a test, through zc_dsa_kernel_select) asks for the kernel model. A
 * bad ZC_DSA_KERNEL is not ignored: discovery fails with its message. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsa/error.h"
#include "dsa/hw/kernel.h"

static _Atomic(const struct zc_dsa_kernel *) current;
static pthread_once_t env_once = PTHREAD_ONCE_INIT;
static char bad_env[512]; /* why ZC_DSA_KERNEL was refused */

static int refuse(void)
{
    return zc_fail(EINVAL, "%s", bad_env);
}

static int bad_enumerate(zc_dsa_kvisit_fn fn, void *ctx)
{
    (void)fn;
    (void)ctx;
    return refuse();
}

static int bad_open(const char *path)
{
    (void)path;
    return -EINVAL;
}

/* Every way in starts with enumeration, which says why. */
static struct zc_dsa_kernel refused;

static bool is_linux(const char *spec) { return !spec || !*spec || strcmp(spec, "linux") == 0; }

static void from_env(void)
{
    const char *spec = getenv("ZC_DSA_KERNEL");
    const struct zc_dsa_kernel *k = &zc_dsa_kernel_linux;
    if (!is_linux(spec) && zc_dsa_kmodel_new(spec, &k) != 0) {
        snprintf(bad_env, sizeof bad_env, "ZC_DSA_KERNEL: %s", zc_last_error());
        refused = zc_dsa_kernel_linux;
        refused.name = "refused";
        refused.enumerate = bad_enumerate;
        refused.open = bad_open;
        k = &refused;
    }
    atomic_store(&current, k);
}

const struct zc_dsa_kernel *zc_dsa_kernel(void)
{
    pthread_once(&env_once, from_env);
    return atomic_load(&current);
}

int zc_dsa_kernel_select(const char *spec)
{
    const struct zc_dsa_kernel *old = zc_dsa_kernel();
    unsigned open = zc_dsa_hw_open_files();
    if (open)
        return zc_fail(EBUSY, "cannot switch the kernel table: %u hardware WQ file(s) still open",
                       open);
    const struct zc_dsa_kernel *k = &zc_dsa_kernel_linux;
    if (!is_linux(spec)) {
        int rc = zc_dsa_kmodel_new(spec, &k); /* replaces the model in use, if any */
        if (rc)
            return rc;
    } else if (old->is_model) {
        zc_dsa_kmodel_free(old);
    }
    atomic_store(&current, k);
    return 0;
}

const char *zc_dsa_kernel_model(void)
{
    const struct zc_dsa_kernel *k = zc_dsa_kernel();
    return k->is_model ? k->name : NULL;
}
