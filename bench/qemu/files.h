/* The working directory of a QEMU run (its guest RAM file and sockets).
 * The files themselves are created by the caller, which decides who owns
 * them (zcbench's driver: owned_file.h). */
#ifndef ZCQ_FILES_H
#define ZCQ_FILES_H

#include <stddef.h>

/* A new directory PARENT/PREFIX-NS-PID-XXXXXX only this user can enter
 * (mkdtemp), NS the inode of this process's PID namespace and PID its pid,
 * so that a later run can tell whether its owner is still alive; its path
 * in out. */
int zcq_create_private_dir(const char *parent, const char *prefix, char *out, size_t len);

/* Removes the directories zcq_create_private_dir made in PARENT whose owner
 * was killed before it could (SIGKILL): named PREFIX-NS-PID-XXXXXX with this
 * PID namespace, owned by this effective user, a directory (not a link),
 * holding nothing but the names in `files` (NULL-terminated), and PID no
 * longer alive. A live PID (even one reused) keeps its directory. Returns
 * how many were removed. */
size_t zcq_remove_stale_dirs(const char *parent, const char *prefix, const char *const *files);

#endif
