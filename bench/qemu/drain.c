#include "drain.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "dsa/error.h"

#define MAX_CHANNELS 65 /* the main channel and up to 64 multifd channels */
#define READ_BYTES (1u << 20)

struct zcq_drain {
    pthread_t thread;
    bool started;
    int listen_fd, stop_fd;
    char path[108];
    pthread_mutex_t lock;
    pthread_cond_t changed;
    /* under lock */
    unsigned expected, accepted, finished;
    uint64_t bytes;
    int error; /* errno of a failed accept or read, 0 when none */
};

static void record(struct zcq_drain *d, unsigned accepted, unsigned finished, uint64_t bytes, int error)
{
    pthread_mutex_lock(&d->lock);
    d->accepted += accepted;
    d->finished += finished;
    d->bytes += bytes;
    if (error && !d->error)
        d->error = error;
    pthread_cond_broadcast(&d->changed);
    pthread_mutex_unlock(&d->lock);
}

static void *drain_main(void *arg)
{
    struct zcq_drain *d = arg;
    struct pollfd fds[2 + MAX_CHANNELS];
    size_t n_conn = 0;
    char *buf = malloc(READ_BYTES);
    if (!buf) {
        record(d, 0, 0, 0, ENOMEM);
        return NULL;
    }
    fds[0] = (struct pollfd){.fd = d->stop_fd, .events = POLLIN};
    fds[1] = (struct pollfd){.fd = d->listen_fd, .events = POLLIN};
    for (;;) {
        if (poll(fds, 2 + n_conn, -1) < 0) {
            if (errno == EINTR)
                continue;
            record(d, 0, 0, 0, errno);
            break;
        }
        if (fds[0].revents)
            break;
        if (fds[1].revents & POLLIN) {
            int c = accept4(d->listen_fd, NULL, NULL, SOCK_CLOEXEC);
            if (c >= 0 && n_conn < MAX_CHANNELS) {
                fds[2 + n_conn++] = (struct pollfd){.fd = c, .events = POLLIN};
                record(d, 1, 0, 0, 0);
            } else if (c >= 0) {
                close(c);
                record(d, 0, 0, 0, EMFILE);
            }
        }
        for (size_t i = 0; i < n_conn; i++) {
            if (!fds[2 + i].revents)
                continue;
            ssize_t got = read(fds[2 + i].fd, buf, READ_BYTES);
            if (got > 0) {
                record(d, 0, 0, (uint64_t)got, 0);
                continue;
            }
            if (got < 0 && errno == EINTR)
                continue;
            close(fds[2 + i].fd);
            fds[2 + i] = fds[2 + --n_conn];
            record(d, 0, 1, 0, got < 0 ? errno : 0);
            i--;
        }
    }
    for (size_t i = 0; i < n_conn; i++)
        close(fds[2 + i].fd);
    free(buf);
    return NULL;
}

int zcq_drain_open(struct zcq_drain **out, const char *path)
{
    struct zcq_drain *d = calloc(1, sizeof *d);
    *out = NULL;
    if (!d)
        return zc_fail(ENOMEM, "migration drain: out of memory");
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path || strlen(path) >= sizeof d->path) {
        free(d);
        return zc_fail(ENAMETOOLONG, "migration drain: socket path too long: %s", path);
    }
    strcpy(sa.sun_path, path);
    d->stop_fd = eventfd(0, EFD_CLOEXEC);
    d->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    pthread_mutex_init(&d->lock, NULL);
    pthread_cond_init(&d->changed, NULL);
    int rc = 0;
    if (d->stop_fd < 0 || d->listen_fd < 0)
        rc = zc_fail(errno, "migration drain: %s", strerror(errno));
    else if (bind(d->listen_fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(d->listen_fd, MAX_CHANNELS) != 0)
        rc = zc_fail(errno, "migration drain: cannot listen at %s: %s", path, strerror(errno));
    else
        strcpy(d->path, path);
    if (!rc && pthread_create(&d->thread, NULL, drain_main, d) != 0)
        rc = zc_fail(EAGAIN, "migration drain: cannot start its thread");
    d->started = rc == 0;
    *out = d;
    return rc;
}

void zcq_drain_arm(struct zcq_drain *d, unsigned connections)
{
    pthread_mutex_lock(&d->lock);
    d->expected = connections;
    d->accepted = d->finished = 0;
    d->bytes = 0;
    d->error = 0;
    pthread_mutex_unlock(&d->lock);
}

int zcq_drain_wait(struct zcq_drain *d, int timeout_ms, uint64_t *bytes)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    int rc = 0;
    pthread_mutex_lock(&d->lock);
    while (!d->error && d->finished < d->expected && rc == 0)
        rc = pthread_cond_timedwait(&d->changed, &d->lock, &until);
    unsigned finished = d->finished, expected = d->expected;
    int error = d->error;
    *bytes = d->bytes;
    pthread_mutex_unlock(&d->lock);
    if (error)
        return zc_fail(error, "migration drain: %s", strerror(error));
    if (finished < expected)
        return zc_fail(ETIMEDOUT, "migration drain: %u of %u channels ended in time", finished, expected);
    return 0;
}

void zcq_drain_close(struct zcq_drain *d)
{
    if (!d)
        return;
    if (d->started) {
        uint64_t one = 1;
        if (write(d->stop_fd, &one, sizeof one) == sizeof one)
            pthread_join(d->thread, NULL);
    }
    if (d->listen_fd >= 0)
        close(d->listen_fd);
    if (d->stop_fd >= 0)
        close(d->stop_fd);
    if (d->path[0])
        unlink(d->path);
    pthread_mutex_destroy(&d->lock);
    pthread_cond_destroy(&d->changed);
    free(d);
}
