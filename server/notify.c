/*
 * notify.c - keyspace notifications (notify-keyspace-events), as Redis
 * 7.0 sends them: for an event of a class enabled in the config, a
 * message on "__keyspace@<db>__:<key>" carrying the event name (K) and
 * one on "__keyevent@<db>__:<event>" carrying the key (E), in that order,
 * through the ordinary Pub/Sub delivery (srv_pubsub_publish).
 *
 * The commands call srv_notify after each write, with Redis's event
 * names; db.c calls it for "new" keys, "expired" keys and "keymiss".
 * Executor thread only.
 */
#include "server.h"

#include <stdio.h>
#include <string.h>

/* Channels up to this size are built on the stack. */
#define NOTIFY_STACK_CHANNEL 256

/* Publish msg on the channel "<prefix><db>__:<suffix>". The channel is
 * built in a stack buffer when it fits, else in a heap one (dropped
 * silently when even that cannot be had, as a message without memory). */
static void notify_publish(const char *prefix, int dbid, const char *suffix,
                           size_t suffixlen, const char *msg, size_t mlen)
{
    char stackbuf[NOTIFY_STACK_CHANNEL];
    char head[64];
    int hlen = snprintf(head, sizeof(head), "%s%d__:", prefix, dbid);
    size_t chlen = (size_t)hlen + suffixlen;
    char *ch = stackbuf;

    if (chlen > sizeof(stackbuf)) {
        ch = hp_malloc(chlen);
        if (ch == NULL) {
            return;
        }
    }
    memcpy(ch, head, (size_t)hlen);
    if (suffixlen > 0) {
        memcpy(ch + hlen, suffix, suffixlen);
    }
    srv_pubsub_publish(ch, chlen, msg, mlen);
    if (ch != stackbuf) {
        hp_free(ch);
    }
}

/* Keyspace notification of event (a SRV_NOTIFY_* class in type) on key
 * of db. Nothing is sent unless the class and K and/or E are enabled. */
void srv_notify(int type, const char *event, srv_db_t *db, const char *key,
                size_t keylen)
{
    int flags = srv.cfg.notify_keyspace_events;
    size_t elen;

    if (!(flags & type)) {
        return; /* the common case: a cheap test on every write */
    }
    elen = strlen(event);
    if (flags & SRV_NOTIFY_KEYSPACE) {
        notify_publish("__keyspace@", db->id, key, keylen, event, elen);
    }
    if (flags & SRV_NOTIFY_KEYEVENT) {
        notify_publish("__keyevent@", db->id, event, elen, key, keylen);
    }
}
