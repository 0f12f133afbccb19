/* The working directory of a QEMU run (its guest RAM file and sockets).
 * The files themselves are created by the caller, which decides who owns
 * them (zcbench's driver: owned_file.h). */
#ifndef ZCQ_FILES_H
#define ZCQ_FILES_H

#include <stddef.h>

/* A new directory PARENT/PREFIX-XXXXXX only this user can enter (mkdtemp);
 * its path in out. */
int zcq_create_private_dir(const char *parent, const char *prefix, char *out, size_t len);

#endif
