/* Test helpers: run the zcbench binary as a child and read the CSV it wrote. */
#ifndef ZCB_TEST_RUN_UTIL_H
#define ZCB_TEST_RUN_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

#define RUN_OUT_MAX (1 << 20)

struct run_result {
    int status;              /* exit status, or 128 + signal */
    char out[RUN_OUT_MAX];   /* stdout */
    char err[RUN_OUT_MAX];   /* stderr */
    struct rusage usage;
};

/* Runs bin with the NULL-terminated args (without argv[0]). */
void run_zcbench(const char *bin, const char *const *args, struct run_result *r);
/* Starts it in the background with stdout/stderr to /dev/null. */
pid_t spawn_zcbench(const char *bin, const char *const *args);
/* Waits for pid: exit status or 128 + signal. */
int wait_status(pid_t pid, struct rusage *usage);

/* A CSV file read whole: lines split, fields of each line split (quotes
 * understood). */
#define CSV_MAX_ROWS 4096
#define CSV_MAX_COLS 96
struct csv {
    char *text;
    size_t n_rows;  /* header included */
    size_t n_cols[CSV_MAX_ROWS];
    char *cell[CSV_MAX_ROWS][CSV_MAX_COLS];
    bool last_line_complete;
};
/* NULL when the file cannot be read. Free with csv_free. */
struct csv *csv_read(const char *path);
void csv_free(struct csv *c);
/* Column index by header name, -1 when absent. */
int csv_col(const struct csv *c, const char *name);
/* Rows (after the header) where column `name` equals value. */
size_t csv_count(const struct csv *c, const char *name, const char *value);
char *read_file(const char *path, size_t *len);
void write_file(const char *path, const char *text);

#endif
