#include "run_util.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t start(const char *bin, const char *const *args, int out_fd, int err_fd)
{
    size_t n = 0;
    while (args[n])
        n++;
    char **argv = calloc(n + 2, sizeof *argv);
    argv[0] = (char *)bin;
    for (size_t i = 0; i < n; i++)
        argv[i + 1] = (char *)args[i];
    pid_t pid = fork();
    if (pid == 0) {
        dup2(out_fd, STDOUT_FILENO);
        dup2(err_fd, STDERR_FILENO);
        execv(bin, argv);
        _exit(127);
    }
    free(argv);
    return pid;
}

int wait_status(pid_t pid, struct rusage *usage)
{
    int st;
    struct rusage ru;
    if (wait4(pid, &st, 0, usage ? usage : &ru) != pid)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void slurp(int fd, char *buf, size_t len)
{
    lseek(fd, 0, SEEK_SET);
    ssize_t n = read(fd, buf, len - 1);
    buf[n > 0 ? n : 0] = '\0';
    close(fd);
}

void run_zcbench(const char *bin, const char *const *args, struct run_result *r)
{
    FILE *out = tmpfile(), *err = tmpfile();
    pid_t pid = start(bin, args, fileno(out), fileno(err));
    r->status = wait_status(pid, &r->usage);
    slurp(dup(fileno(out)), r->out, sizeof r->out);
    slurp(dup(fileno(err)), r->err, sizeof r->err);
    fclose(out);
    fclose(err);
}

pid_t spawn_zcbench(const char *bin, const char *const *args)
{
    int null = open("/dev/null", O_WRONLY);
    pid_t pid = start(bin, args, null, null);
    close(null);
    return pid;
}

char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)size + 1);
    size_t n = fread(buf, 1, (size_t)size, f);
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

/* Splits one line in place into fields; quotes protect commas. */
static size_t split_fields(char *line, char **cells, size_t max)
{
    size_t n = 0;
    char *w = line, *p = line;
    cells[n++] = w;
    bool quoted = false;
    for (; *p; p++) {
        if (*p == '"') {
            if (quoted && p[1] == '"')
                *w++ = *p++;
            else
                quoted = !quoted;
        } else if (*p == ',' && !quoted) {
            *w++ = '\0';
            if (n == max)
                return n;
            cells[n++] = w;
        } else {
            *w++ = *p;
        }
    }
    *w = '\0';
    return n;
}

struct csv *csv_read(const char *path)
{
    size_t len;
    char *text = read_file(path, &len);
    if (!text)
        return NULL;
    struct csv *c = calloc(1, sizeof *c);
    c->text = text;
    c->last_line_complete = len == 0 || text[len - 1] == '\n';
    for (char *line = text; *line && c->n_rows < CSV_MAX_ROWS;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        c->n_cols[c->n_rows] = split_fields(line, c->cell[c->n_rows], CSV_MAX_COLS);
        c->n_rows++;
        if (!nl)
            break;
        line = nl + 1;
    }
    return c;
}

void csv_free(struct csv *c)
{
    if (c)
        free(c->text);
    free(c);
}

int csv_col(const struct csv *c, const char *name)
{
    for (size_t i = 0; c->n_rows && i < c->n_cols[0]; i++)
        if (strcmp(c->cell[0][i], name) == 0)
            return (int)i;
    return -1;
}

size_t csv_count(const struct csv *c, const char *name, const char *value)
{
    int col = csv_col(c, name);
    size_t n = 0;
    for (size_t r = 1; col >= 0 && r < c->n_rows; r++)
        n += (size_t)col < c->n_cols[r] && strcmp(c->cell[r][col], value) == 0;
    return n;
}

void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}
