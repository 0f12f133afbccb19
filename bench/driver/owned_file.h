/* Files zcbench writes that are not results CSVs (the savevm image; a QEMU
 * workload's qcow2): zcbench never writes over a file it did not create.
 *
 * A new file is created with O_CREAT|O_EXCL and, for a format zcbench
 * defines, starts with a stamp: ZCB_OWNED_STAMP_BYTES of text, "zcbench KIND"
 * padded with spaces and ended by '\n'. An existing path is opened only when
 * it is a regular file that carries the same stamp (a file zcbench created),
 * or when the user said overwrite; anything else is refused with one line
 * naming it, before a byte is written.
 *
 * Why a stamp in the file rather than an xattr or a sidecar: plain bytes work
 * on every file system (tmpfs takes no user.* xattrs before Linux 6.6, and
 * Debian 12 runs 6.1), travel with the file through cp and mv, and cannot go
 * stale the way a sidecar does when the file is deleted and the path reused
 * by someone else's file.
 *
 * A format whose first bytes belong to someone else (a qcow2, Google
 * Benchmark's JSON) has kind NULL: not stamped, and recognised only by a
 * `recognise` function the caller gives (the JSON names zcbench as its
 * executable), or never: then a leftover file is refused unless overwrite.
 *
 * Every file opened here is remembered until zcb_owned_remove, so that an
 * interrupted run can delete what it wrote (zcb_owned_remove_all). */
#ifndef ZCB_OWNED_FILE_H
#define ZCB_OWNED_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "options.h"

#define ZCB_OWNED_STAMP_BYTES 32
#define ZCB_OWNED_KIND_MAX (ZCB_OWNED_STAMP_BYTES - 9) /* "zcbench " and '\n' */

struct zcb_owned_request {
    const char *path;
    const char *kind;      /* the stamp's KIND, e.g. "savevm-image"; NULL: not stamped */
    bool (*recognise)(int fd); /* kind NULL: whether zcbench wrote this file */
    bool overwrite;        /* the user allows taking over any regular file */
    const char *what;      /* the option, for messages: "--sink file:x" */
    const char *overwrite_how; /* how to say overwrite ("--sink file:x,overwrite"), or NULL */
};

/* The request of a path an option gave ("--sink file:" PATH): its messages
 * name "PREFIXPATH", and "PREFIXPATH,overwrite" as the way to allow
 * overwrite. r points into the texts: not to be copied. */
struct zcb_owned_option {
    struct zcb_owned_request r;
    char what[ZCB_PATH_MAX + 32], how[ZCB_PATH_MAX + 48];
};

void zcb_owned_option(struct zcb_owned_option *o, const char *prefix, const char *path,
                      const char *kind, bool overwrite);

struct zcb_owned_file {
    int fd;                /* O_RDWR, -1 on failure; the caller closes it (the file stays) */
    uint64_t data_start;   /* first byte after the stamp (0 when not stamped) */
};

/* How a user allows overwrite: PATH followed by this key. */
#define ZCB_OWNED_OVERWRITE_KEY ",overwrite"

/* Splits "PATH" or "PATH,overwrite" into path (len bytes) and *overwrite (a
 * PATH of its own that ends in ",overwrite" cannot be named). false when
 * PATH is empty or does not fit; the caller names the option. */
bool zcb_owned_parse_path(const char *text, char *path, size_t len, bool *overwrite);

/* The check of a run before any work: whether the request may be opened,
 * that its directory exists, and that `need` bytes fit on its file system
 * (the free space plus what an existing file about to be truncated holds).
 * Creates nothing. ZC_TEST_FREE_BYTES=N (a test hook) stands in for the free
 * space. -errno with zc_last_error() naming the path. */
int zcb_owned_preflight(const struct zcb_owned_request *r, uint64_t need);
/* Free bytes on the file system of directory `dir` (ZC_TEST_FREE_BYTES, as
 * above); `what` names the option in the message. */
int zcb_dir_free_bytes(const char *dir, const char *what, uint64_t *out);

/* Opens for writing, positioned at data_start: a new file (stamped), a file
 * zcbench stamped with the same kind (contents kept: the caller truncates to
 * data_start), or with overwrite any regular file (truncated, stamped). */
int zcb_owned_open(const struct zcb_owned_request *r, struct zcb_owned_file *f);
/* Deletes a file opened here (e.g. a scratch qcow2 after use) and forgets it. */
int zcb_owned_remove(const char *path);
/* Deletes every file opened here and not yet removed; the count. Safe in a
 * signal handler. */
size_t zcb_owned_remove_all(void);

#endif
