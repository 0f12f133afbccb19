/* The files zcbench creates for a QEMU run. They are only ever new files:
 * an existing path is refused, never overwritten. Every creation goes
 * through these two functions, so a general "files zcbench owns" module can
 * take them over in one place. */
#ifndef ZCQ_FILES_H
#define ZCQ_FILES_H

#include <stddef.h>

/* Creates path, which must not exist (O_EXCL), mode 0600. The open fd, or
 * -errno with a message naming the path ("exists" when it did). what names
 * the file in the message ("--qemu-image"). */
int zcq_create_new_file(const char *path, const char *what);
/* A new directory PARENT/PREFIX-XXXXXX only this user can enter (mkdtemp);
 * its path in out. */
int zcq_create_private_dir(const char *parent, const char *prefix, char *out, size_t len);

#endif
