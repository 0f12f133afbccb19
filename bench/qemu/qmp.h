/* A QMP client (QEMU Machine Protocol: JSON messages, one per line) on a
 * unix socket: commands, their replies, and the events that arrive in
 * between, kept until asked for. While it waits it calls `tick` every
 * tick_ms, so the caller can sample QEMU's threads during a long command,
 * and gives up when `cancelled` says so (a Ctrl-C). */
#ifndef ZCQ_QMP_H
#define ZCQ_QMP_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#define ZCQ_QMP_EVENTS 64

struct zcq_qmp {
    int fd;
    char *in;                  /* bytes received, not yet a whole message */
    size_t in_len, in_cap;
    json_object *events[ZCQ_QMP_EVENTS];
    size_t n_events;
    void (*tick)(void *ctx);
    void *tick_ctx;
    int tick_ms;
    bool (*cancelled)(void);   /* NULL: never */
};

/* Connects to the socket at path (cancelled is NULL then): 0, -ENOENT/-ECONNREFUSED while nobody
 * listens yet (the caller retries), other -errno on failure. */
int zcq_qmp_connect(struct zcq_qmp *q, const char *path);
/* Reads the greeting and leaves negotiation mode (qmp_capabilities); the
 * greeting in *greeting when not NULL (the caller puts it). */
int zcq_qmp_handshake(struct zcq_qmp *q, int timeout_ms, json_object **greeting);
/* Runs command with args (taken over; NULL for none). Its "return" value in
 * *ret when not NULL (the caller puts it); QEMU's error as the message. */
int zcq_qmp_call(struct zcq_qmp *q, const char *command, json_object *args, json_object **ret,
                 int timeout_ms);
/* human-monitor-command: HMP commands such as savevm answer errors as
 * text, so any output is a failure carrying that text. */
int zcq_qmp_hmp(struct zcq_qmp *q, const char *command_line, int timeout_ms);
/* Waits for the first event named `name` (queued or new), removes it and
 * gives its "data" in *data when not NULL (the caller puts it). */
int zcq_qmp_wait_event(struct zcq_qmp *q, const char *name, json_object **data, int timeout_ms);
/* Drops every queued event. */
void zcq_qmp_drop_events(struct zcq_qmp *q);
void zcq_qmp_close(struct zcq_qmp *q);

#endif
