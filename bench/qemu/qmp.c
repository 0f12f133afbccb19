#include "qmp.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cpu/tsc.h"
#include "dsa/error.h"

/* QEMU's replies here are a few KiB at most: a longer line is not QMP, and
 * waiting for its end would hold the whole stream in memory. */
#define LINE_MAX_BYTES (1u << 20)
#define CANCEL_POLL_MS 100 /* how soon a wait sees it was cancelled */

int zcq_qmp_connect(struct zcq_qmp *q, const char *path)
{
    memset(q, 0, sizeof *q);
    q->fd = -1;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path)
        return zc_fail(ENAMETOOLONG, "QMP socket path too long: %s", path);
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return zc_fail(errno, "QMP: socket: %s", strerror(errno));
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        int err = errno;
        close(fd);
        return zc_fail(err, "QMP: cannot connect to %s: %s", path, strerror(err));
    }
    q->fd = fd;
    return 0;
}

static int remaining_ms(uint64_t deadline)
{
    uint64_t now = zc_now_ns();
    return now >= deadline ? 0 : (int)((deadline - now + 999999) / 1000000);
}

/* Takes one whole line out of the input buffer, parsed; NULL when no line
 * is complete yet. A line that is not JSON is an error. */
static int take_line(struct zcq_qmp *q, json_object **msg)
{
    *msg = NULL;
    char *nl = q->in_len ? memchr(q->in, '\n', q->in_len) : NULL;
    if (!nl)
        return 0;
    *nl = '\0';
    json_object *obj = json_tokener_parse(q->in);
    size_t used = (size_t)(nl - q->in) + 1;
    memmove(q->in, nl + 1, q->in_len - used);
    q->in_len -= used;
    if (!obj)
        return zc_fail(EPROTO, "QMP: QEMU sent a line that is not JSON");
    *msg = obj;
    return 0;
}

/* The next message from QEMU, waiting at most until deadline. */
static int next_message(struct zcq_qmp *q, uint64_t deadline, json_object **msg)
{
    for (;;) {
        int rc = take_line(q, msg);
        if (rc || *msg)
            return rc;
        if (q->cancelled && q->cancelled())
            return zc_fail(ECANCELED, "QMP: interrupted while waiting for QEMU");
        int left = remaining_ms(deadline);
        if (!left)
            return zc_fail(ETIMEDOUT, "QMP: no answer from QEMU in time");
        if (q->tick && left > q->tick_ms)
            left = q->tick_ms;
        if (q->cancelled && left > CANCEL_POLL_MS)
            left = CANCEL_POLL_MS;
        struct pollfd p = {.fd = q->fd, .events = POLLIN};
        int n = poll(&p, 1, left);
        if (n < 0 && errno != EINTR)
            return zc_fail(errno, "QMP: poll: %s", strerror(errno));
        if (q->tick)
            q->tick(q->tick_ctx);
        if (n <= 0)
            continue;
        if (q->in_len >= LINE_MAX_BYTES)
            return zc_fail(EPROTO, "QMP: QEMU sent a line longer than %u MiB (not QMP)", LINE_MAX_BYTES >> 20);
        if (q->in_cap - q->in_len < 4096) {
            size_t cap = q->in_cap ? 2 * q->in_cap : 16384;
            char *in = realloc(q->in, cap);
            if (!in)
                return zc_fail(ENOMEM, "QMP: out of memory");
            q->in = in;
            q->in_cap = cap;
        }
        ssize_t got = read(q->fd, q->in + q->in_len, q->in_cap - q->in_len - 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return zc_fail(EPIPE, "QMP: QEMU closed the connection (it exited; its messages are above)");
        q->in_len += (size_t)got;
    }
}

static int queue_event(struct zcq_qmp *q, json_object *msg)
{
    if (q->n_events == ZCQ_QMP_EVENTS) { /* the oldest goes: nobody asked for it */
        json_object_put(q->events[0]);
        memmove(q->events, q->events + 1, (ZCQ_QMP_EVENTS - 1) * sizeof *q->events);
        q->n_events--;
    }
    q->events[q->n_events++] = msg;
    return 0;
}

static int send_all(struct zcq_qmp *q, const char *text)
{
    size_t len = strlen(text);
    while (len) {
        ssize_t n = send(q->fd, text, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return zc_fail(EPIPE, "QMP: cannot send to QEMU: %s", strerror(errno));
        text += n;
        len -= (size_t)n;
    }
    return 0;
}

static const char *error_desc(json_object *msg)
{
    json_object *err, *desc;
    if (json_object_object_get_ex(msg, "error", &err) && json_object_object_get_ex(err, "desc", &desc))
        return json_object_get_string(desc);
    return NULL;
}

/* Waits for the reply to the command just sent; events go to the queue. */
static int await_reply(struct zcq_qmp *q, const char *command, json_object **ret, uint64_t deadline)
{
    for (;;) {
        json_object *msg, *value;
        int rc = next_message(q, deadline, &msg);
        if (rc)
            return zc_fail(-rc, "%s (waiting for %s)", zc_last_error(), command);
        if (json_object_object_get_ex(msg, "event", NULL)) {
            queue_event(q, msg);
            continue;
        }
        const char *desc = error_desc(msg);
        if (desc) {
            rc = zc_fail(EIO, "QEMU refused %s: %s", command, desc);
            json_object_put(msg);
            return rc;
        }
        if (!json_object_object_get_ex(msg, "return", &value)) {
            json_object_put(msg);
            continue; /* not a reply (a greeting or the like): not ours */
        }
        if (ret)
            *ret = json_object_get(value);
        json_object_put(msg);
        return 0;
    }
}

int zcq_qmp_call(struct zcq_qmp *q, const char *command, json_object *args, json_object **ret,
                 int timeout_ms)
{
    json_object *cmd = json_object_new_object();
    json_object_object_add(cmd, "execute", json_object_new_string(command));
    if (args)
        json_object_object_add(cmd, "arguments", args);
    char line[8192];
    int n = snprintf(line, sizeof line, "%s\n", json_object_to_json_string_ext(cmd, JSON_C_TO_STRING_PLAIN));
    json_object_put(cmd);
    if (n < 0 || (size_t)n >= sizeof line)
        return zc_fail(E2BIG, "QMP: command %s too long", command);
    int rc = send_all(q, line);
    if (rc)
        return rc;
    return await_reply(q, command, ret, zc_now_ns() + (uint64_t)timeout_ms * 1000000);
}

int zcq_qmp_handshake(struct zcq_qmp *q, int timeout_ms, json_object **greeting)
{
    uint64_t deadline = zc_now_ns() + (uint64_t)timeout_ms * 1000000;
    json_object *msg;
    int rc = next_message(q, deadline, &msg);
    if (rc)
        return zc_fail(-rc, "%s (waiting for QEMU's greeting)", zc_last_error());
    if (!json_object_object_get_ex(msg, "QMP", NULL)) {
        json_object_put(msg);
        return zc_fail(EPROTO, "QMP: the first message is not QEMU's greeting");
    }
    if (greeting)
        *greeting = msg;
    else
        json_object_put(msg);
    return zcq_qmp_call(q, "qmp_capabilities", NULL, NULL, timeout_ms);
}

int zcq_qmp_hmp(struct zcq_qmp *q, const char *command_line, int timeout_ms)
{
    json_object *args = json_object_new_object(), *out = NULL;
    json_object_object_add(args, "command-line", json_object_new_string(command_line));
    int rc = zcq_qmp_call(q, "human-monitor-command", args, &out, timeout_ms);
    if (rc)
        return rc;
    char text[400];
    snprintf(text, sizeof text, "%s", json_object_get_string(out));
    json_object_put(out);
    text[strcspn(text, "\r\n")] = '\0';
    return text[0] ? zc_fail(EIO, "QEMU: %s: %s", command_line, text) : 0;
}

static bool take_event(struct zcq_qmp *q, const char *name, json_object **data)
{
    for (size_t i = 0; i < q->n_events; i++) {
        json_object *ev, *d = NULL;
        json_object_object_get_ex(q->events[i], "event", &ev);
        if (strcmp(json_object_get_string(ev), name) != 0)
            continue;
        if (data) {
            json_object_object_get_ex(q->events[i], "data", &d);
            *data = d ? json_object_get(d) : NULL;
        }
        json_object_put(q->events[i]);
        memmove(q->events + i, q->events + i + 1, (q->n_events - i - 1) * sizeof *q->events);
        q->n_events--;
        return true;
    }
    return false;
}

int zcq_qmp_wait_event(struct zcq_qmp *q, const char *name, json_object **data, int timeout_ms)
{
    uint64_t deadline = zc_now_ns() + (uint64_t)timeout_ms * 1000000;
    while (!take_event(q, name, data)) {
        json_object *msg;
        int rc = next_message(q, deadline, &msg);
        if (rc)
            return zc_fail(-rc, "%s (waiting for event %s)", zc_last_error(), name);
        if (json_object_object_get_ex(msg, "event", NULL))
            queue_event(q, msg);
        else
            json_object_put(msg);
    }
    return 0;
}

void zcq_qmp_drop_events(struct zcq_qmp *q)
{
    for (size_t i = 0; i < q->n_events; i++)
        json_object_put(q->events[i]);
    q->n_events = 0;
}

void zcq_qmp_close(struct zcq_qmp *q)
{
    zcq_qmp_drop_events(q);
    if (q->fd >= 0)
        close(q->fd);
    free(q->in);
    memset(q, 0, sizeof *q);
    q->fd = -1;
}
