/*
 * t_pubsub.c - Pub/Sub: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE,
 * PUBLISH, the PUBSUB container, and the shard channel commands
 * SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH (standalone: shard channels are only
 * a separate namespace, as in Redis 7.0 without cluster mode).
 *
 * Server side, each kind of subscription (channel, pattern, shard
 * channel) has a dict name -> sub_list_t (its subscribers in the order
 * they subscribed), so PUBLISH finds a channel's receivers in O(1) and
 * walks the patterns once. Client side, c->pubsub holds one dict of names
 * per kind (what the client is subscribed to), for counts, UNSUBSCRIBE
 * without arguments and the clean-up when the client is freed.
 *
 * Subscription replies and messages are written straight into the
 * client's output buffer as pushes (">" in RESP3, "*" in RESP2): like
 * Redis 7.0.15 they are delivered even under CLIENT REPLY OFF/SKIP. A
 * message is encoded once per PUBLISH (per matching pattern) and copied
 * to every receiver; receivers past their client-output-buffer-limit
 * (the pubsub class, chosen by SRV_CLIENT_PUBSUB) are scheduled to close.
 *
 * Executor thread only.
 */
#include "server.h"
#include "commands.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Kinds of subscription. */
enum { PS_CHANNEL, PS_PATTERN, PS_SHARD, PS_KINDS };

/* The reply words of each kind. */
static const struct {
    const char *sub;   /* confirmation of a subscription */
    const char *unsub; /* confirmation of an unsubscription */
    const char *msg;   /* a delivered message */
} kind_words[PS_KINDS] = {
    {"subscribe", "unsubscribe", "message"},
    {"psubscribe", "punsubscribe", "pmessage"},
    {"ssubscribe", "sunsubscribe", "smessage"},
};

/* The subscribers of one channel or pattern, in subscription order. */
typedef struct sub_list {
    size_t n;
    size_t cap;
    srv_client_t **v; /* borrowed clients */
} sub_list_t;

/* A client's subscriptions: per kind, a dict of names (no values), NULL
 * while empty. */
struct srv_pubsub_client {
    hp_dict_t *names[PS_KINDS];
};

/* Server side: per kind, name -> sub_list_t* (owned), NULL while empty. */
static hp_dict_t *server_subs[PS_KINDS];

static void sub_list_free(void *p);

static const hp_dict_type_t server_type = {sub_list_free};
static const hp_dict_type_t names_type = {NULL};

/* ---------------------------------------------------------------------
 * Subscriber lists
 * ------------------------------------------------------------------ */

/* val_free of server_subs: free a subscriber list (not its clients). */
static void sub_list_free(void *p)
{
    sub_list_t *l = p;

    if (!l)
        return;
    hp_free(l->v);
    hp_free(l);
}

/* Append c to l. 0 or -ENOMEM. */
static int sub_list_add(sub_list_t *l, srv_client_t *c)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        srv_client_t **v = hp_realloc(l->v, cap * sizeof(*v));

        if (!v)
            return -ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = c;
    return 0;
}

/* Remove c from l keeping the order of the others. */
static void sub_list_remove(sub_list_t *l, const srv_client_t *c)
{
    for (size_t i = 0; i < l->n; i++) {
        if (l->v[i] != c)
            continue;
        memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(*l->v));
        l->n--;
        return;
    }
}

/* Register c as a subscriber of name in the server dict of kind.
 * 0 or -ENOMEM (nothing changed). */
static int server_add(int kind, const char *name, size_t len,
                      srv_client_t *c)
{
    hp_dict_entry_t *e;
    sub_list_t *l;
    int existed;

    if (!server_subs[kind]) {
        server_subs[kind] = hp_dict_new(&server_type);
        if (!server_subs[kind])
            return -ENOMEM;
    }
    e = hp_dict_add(server_subs[kind], name, len, &existed);
    if (!e)
        return -ENOMEM;
    if (!existed) {
        e->v.ptr = hp_calloc(1, sizeof(sub_list_t));
        if (!e->v.ptr) {
            hp_dict_delete(server_subs[kind], name, len);
            return -ENOMEM;
        }
    }
    l = e->v.ptr;
    if (sub_list_add(l, c) < 0) {
        if (l->n == 0)
            hp_dict_delete(server_subs[kind], name, len);
        return -ENOMEM;
    }
    return 0;
}

/* Remove c from the subscribers of name (kind); drop the name when it
 * has no subscriber left, and the dict when it is empty. */
static void server_remove(int kind, const char *name, size_t len,
                          const srv_client_t *c)
{
    hp_dict_entry_t *e;
    sub_list_t *l;

    if (!server_subs[kind])
        return;
    e = hp_dict_find(server_subs[kind], name, len);
    if (!e)
        return;
    l = e->v.ptr;
    sub_list_remove(l, c);
    if (l->n == 0)
        hp_dict_delete(server_subs[kind], name, len);
    if (hp_dict_size(server_subs[kind]) == 0) {
        hp_dict_free(server_subs[kind]);
        server_subs[kind] = NULL;
    }
}

/* Number of names of kind with subscribers. */
static size_t server_count(int kind)
{
    return server_subs[kind] ? hp_dict_size(server_subs[kind]) : 0;
}

/* ---------------------------------------------------------------------
 * Client side
 * ------------------------------------------------------------------ */

/* Number of names of kind c is subscribed to. */
static size_t client_count(const srv_client_t *c, int kind)
{
    if (!c->pubsub || !c->pubsub->names[kind])
        return 0;
    return hp_dict_size(c->pubsub->names[kind]);
}

/* The count Redis reports in a confirmation of kind: channels plus
 * patterns, or shard channels alone. */
static int64_t reply_count(const srv_client_t *c, int kind)
{
    if (kind == PS_SHARD)
        return (int64_t)client_count(c, PS_SHARD);
    return (int64_t)(client_count(c, PS_CHANNEL) +
                     client_count(c, PS_PATTERN));
}

/* Set or clear SRV_CLIENT_PUBSUB after c's subscriptions changed; free
 * c's state when it has no subscription left. */
static void client_update_flag(srv_client_t *c)
{
    int total = 0;

    for (int k = 0; k < PS_KINDS; k++) {
        if (client_count(c, k) > 0)
            total = 1;
    }
    if (total) {
        c->flags |= SRV_CLIENT_PUBSUB;
        return;
    }
    c->flags &= ~SRV_CLIENT_PUBSUB;
    if (c->pubsub) {
        for (int k = 0; k < PS_KINDS; k++)
            hp_dict_free(c->pubsub->names[k]);
        hp_free(c->pubsub);
        c->pubsub = NULL;
    }
}

/* c's names dict of kind, created on demand; NULL on OOM. */
static hp_dict_t *client_names(srv_client_t *c, int kind)
{
    if (!c->pubsub) {
        c->pubsub = hp_calloc(1, sizeof(*c->pubsub));
        if (!c->pubsub)
            return NULL;
    }
    if (!c->pubsub->names[kind])
        c->pubsub->names[kind] = hp_dict_new(&names_type);
    return c->pubsub->names[kind];
}

/* ---------------------------------------------------------------------
 * Pushes
 * ------------------------------------------------------------------ */

/* c's output buffer for a push, bypassing CLIENT REPLY OFF/SKIP as
 * Redis 7.0.15 does; NULL when c is closing. Queues c for writing. */
static resp_buf_t *push_out(srv_client_t *c)
{
    if (c->flags & (SRV_CLIENT_CLOSE_ASAP | SRV_CLIENT_CLOSING))
        return NULL;
    if (!c->pending_write)
        srv_client_schedule_write(c);
    return &c->out;
}

/* Push [word, name, count] to c (name NULL: a null). */
static void push_confirm(srv_client_t *c, const char *word, const char *name,
                         size_t len, int64_t count)
{
    resp_buf_t *b = push_out(c);

    if (!b)
        return;
    resp_write_push_len(b, 3);
    resp_write_bulk(b, word, strlen(word));
    if (name)
        resp_write_bulk(b, name, len);
    else
        resp_write_null(b);
    resp_write_int(b, count);
    srv_client_check_obuf(c);
}

/* Append an encoded message (RESP2 form, starting with '*') to c, as a
 * push ('>') when c speaks RESP3, then enforce c's output limit. */
static void push_encoded(srv_client_t *c, const resp_buf_t *m)
{
    resp_buf_t *b = push_out(c);

    if (!b)
        return;
    if (c->resp >= 3) {
        resp_buf_append(b, ">", 1);
        resp_buf_append(b, m->data + 1, m->len - 1);
    } else {
        resp_buf_append(b, m->data, m->len);
    }
    srv_client_check_obuf(c);
}

/* Encode [word, (pattern,) channel, message] in RESP2 into m (reset
 * first). 0 or -ENOMEM. */
static int encode_message(resp_buf_t *m, const char *word,
                          const char *pat, size_t plen, const char *ch,
                          size_t chlen, const char *msg, size_t mlen)
{
    resp_buf_reset(m);
    resp_write_array_len(m, pat ? 4 : 3);
    resp_write_bulk(m, word, strlen(word));
    if (pat)
        resp_write_bulk(m, pat, plen);
    resp_write_bulk(m, ch, chlen);
    resp_write_bulk(m, msg, mlen);
    return m->oom ? -ENOMEM : 0;
}

/* ---------------------------------------------------------------------
 * Subscribing and unsubscribing
 * ------------------------------------------------------------------ */

/* Subscribe c to name (kind) and confirm. 0, or -ENOMEM after an OOM
 * error reply. */
static int subscribe_one(srv_client_t *c, int kind, const char *name,
                         size_t len)
{
    hp_dict_t *names = client_names(c, kind);
    hp_dict_entry_t *e;
    int existed = 0;

    e = names ? hp_dict_add(names, name, len, &existed) : NULL;
    if (!e)
        goto oom;
    if (!existed && server_add(kind, name, len, c) < 0) {
        hp_dict_delete(names, name, len);
        goto oom;
    }
    push_confirm(c, kind_words[kind].sub, name, len, reply_count(c, kind));
    return 0;
oom:
    srv_reply_error(c, "OOM command not allowed when used memory > "
                       "'maxmemory'.");
    return -ENOMEM;
}

/* Unsubscribe c from name (kind); confirm when notify. */
static void unsubscribe_one(srv_client_t *c, int kind, const char *name,
                            size_t len, int notify)
{
    hp_dict_t *names = c->pubsub ? c->pubsub->names[kind] : NULL;

    if (names && hp_dict_delete(names, name, len) == 0)
        server_remove(kind, name, len, c);
    if (notify)
        push_confirm(c, kind_words[kind].unsub, name, len,
                     reply_count(c, kind));
}

/* Unsubscribe c from every name of kind, confirming each when notify
 * (or once with a null name when there was none). */
static void unsubscribe_all(srv_client_t *c, int kind, int notify)
{
    hp_dict_t *names = c->pubsub ? c->pubsub->names[kind] : NULL;
    hp_dict_iter_t it;
    hp_dict_entry_t *e;
    size_t left;

    if (!names || hp_dict_size(names) == 0) {
        if (notify)
            push_confirm(c, kind_words[kind].unsub, NULL, 0,
                         reply_count(c, kind));
        return;
    }
    left = hp_dict_size(names);
    hp_dict_iter_init(&it, names, 1);
    while ((e = hp_dict_iter_next(&it)) != NULL) {
        server_remove(kind, e->key, e->keylen, c);
        left--;
        if (notify) {
            int64_t count = (int64_t)left;

            if (kind != PS_SHARD)
                count += (int64_t)client_count(
                    c, kind == PS_CHANNEL ? PS_PATTERN : PS_CHANNEL);
            push_confirm(c, kind_words[kind].unsub, e->key, e->keylen,
                         count);
        }
        hp_dict_delete(names, e->key, e->keylen);
    }
    hp_dict_iter_fini(&it);
}

/* Common body of (P|S)SUBSCRIBE: every argument is a name of kind. */
static void subscribe_command(srv_client_t *c, int kind)
{
    for (int i = 1; i < c->argc; i++) {
        if (subscribe_one(c, kind, c->argv[i].ptr, c->argv[i].len) < 0)
            break;
    }
    client_update_flag(c);
}

/* Common body of (P|S)UNSUBSCRIBE: the names given, or all of kind. */
static void unsubscribe_command(srv_client_t *c, int kind)
{
    if (c->argc == 1) {
        unsubscribe_all(c, kind, 1);
    } else {
        for (int i = 1; i < c->argc; i++)
            unsubscribe_one(c, kind, c->argv[i].ptr, c->argv[i].len, 1);
    }
    client_update_flag(c);
}

/* ---------------------------------------------------------------------
 * Publishing
 * ------------------------------------------------------------------ */

/* Deliver msg to the subscribers of channel ch in the dict of kind
 * (PS_CHANNEL or PS_SHARD) using m as scratch. Returns the receivers. */
static int64_t deliver_channel(int kind, resp_buf_t *m, const char *ch,
                               size_t chlen, const char *msg, size_t mlen)
{
    hp_dict_entry_t *e;
    sub_list_t *l;

    if (!server_subs[kind])
        return 0;
    e = hp_dict_find(server_subs[kind], ch, chlen);
    if (!e)
        return 0;
    l = e->v.ptr;
    if (encode_message(m, kind_words[kind].msg, NULL, 0, ch, chlen, msg,
                       mlen) == 0) {
        for (size_t i = 0; i < l->n; i++)
            push_encoded(l->v[i], m);
    }
    return (int64_t)l->n;
}

/* Deliver msg to the subscribers of every pattern matching ch. Returns
 * the receivers. */
static int64_t deliver_patterns(resp_buf_t *m, const char *ch, size_t chlen,
                                const char *msg, size_t mlen)
{
    hp_dict_iter_t it;
    hp_dict_entry_t *e;
    int64_t n = 0;

    if (!server_subs[PS_PATTERN])
        return 0;
    hp_dict_iter_init(&it, server_subs[PS_PATTERN], 1);
    while ((e = hp_dict_iter_next(&it)) != NULL) {
        sub_list_t *l = e->v.ptr;

        if (!srv_glob_match(e->key, e->keylen, ch, chlen, 0))
            continue;
        if (encode_message(m, kind_words[PS_PATTERN].msg, e->key,
                           e->keylen, ch, chlen, msg, mlen) == 0) {
            for (size_t i = 0; i < l->n; i++)
                push_encoded(l->v[i], m);
        }
        n += (int64_t)l->n;
    }
    hp_dict_iter_fini(&it);
    return n;
}

/* Publish msg on channel ch (see server.h). */
int64_t srv_pubsub_publish(const char *ch, size_t chlen, const char *msg,
                           size_t mlen)
{
    resp_buf_t m;
    int64_t n;

    resp_buf_init(&m, 2);
    n = deliver_channel(PS_CHANNEL, &m, ch, chlen, msg, mlen);
    n += deliver_patterns(&m, ch, chlen, msg, mlen);
    resp_buf_fini(&m);
    return n;
}

/* Publish msg on shard channel ch; returns the receivers. */
static int64_t publish_shard(const char *ch, size_t chlen, const char *msg,
                             size_t mlen)
{
    resp_buf_t m;
    int64_t n;

    resp_buf_init(&m, 2);
    n = deliver_channel(PS_SHARD, &m, ch, chlen, msg, mlen);
    resp_buf_fini(&m);
    return n;
}

/* ---------------------------------------------------------------------
 * Hooks for the rest of the server (server.h)
 * ------------------------------------------------------------------ */

/* Drop every subscription of c without replies (client freed). */
void srv_pubsub_client_free(srv_client_t *c)
{
    if (!c->pubsub)
        return;
    for (int k = 0; k < PS_KINDS; k++)
        unsubscribe_all(c, k, 0);
    client_update_flag(c);
}

/* c's subscription counts for CLIENT LIST (sub, psub, ssub). */
void srv_pubsub_client_counts(const srv_client_t *c, size_t *sub,
                              size_t *psub, size_t *ssub)
{
    *sub = client_count(c, PS_CHANNEL);
    *psub = client_count(c, PS_PATTERN);
    *ssub = client_count(c, PS_SHARD);
}

/* Server-wide counts for INFO: channels, patterns, shard channels with
 * at least one subscriber. */
void srv_pubsub_server_counts(size_t *channels, size_t *patterns,
                              size_t *shard)
{
    *channels = server_count(PS_CHANNEL);
    *patterns = server_count(PS_PATTERN);
    *shard = server_count(PS_SHARD);
}

/* True for the commands a RESP2 subscriber may run. */
static int allowed_in_subscriber_mode(const srv_command_t *cmd)
{
    return cmd->proc == cmd_ping || cmd->proc == cmd_subscribe ||
           cmd->proc == cmd_ssubscribe || cmd->proc == cmd_unsubscribe ||
           cmd->proc == cmd_sunsubscribe || cmd->proc == cmd_psubscribe ||
           cmd->proc == cmd_punsubscribe || cmd->proc == cmd_quit ||
           cmd->proc == cmd_reset;
}

/* Dispatch check (see server.h): a RESP2 client in subscriber mode may
 * only run (P|S)(UN)SUBSCRIBE, PING and QUIT. */
int srv_pubsub_denies(const srv_client_t *c, const srv_command_t *cmd,
                      char *msg, size_t size)
{
    if (!(c->flags & SRV_CLIENT_PUBSUB) || c->resp != 2 ||
        allowed_in_subscriber_mode(cmd))
        return 0;
    snprintf(msg, size, "ERR Can't execute '%s': only (P|S)SUBSCRIBE / "
                        "(P|S)UNSUBSCRIBE / PING / QUIT / RESET are "
                        "allowed in this context", cmd->name);
    return 1;
}

/* ---------------------------------------------------------------------
 * Commands
 * ------------------------------------------------------------------ */

/* SUBSCRIBE channel [channel ...] */
void cmd_subscribe(srv_client_t *c)
{
    subscribe_command(c, PS_CHANNEL);
}

/* UNSUBSCRIBE [channel ...] */
void cmd_unsubscribe(srv_client_t *c)
{
    unsubscribe_command(c, PS_CHANNEL);
}

/* PSUBSCRIBE pattern [pattern ...] */
void cmd_psubscribe(srv_client_t *c)
{
    subscribe_command(c, PS_PATTERN);
}

/* PUNSUBSCRIBE [pattern ...] */
void cmd_punsubscribe(srv_client_t *c)
{
    unsubscribe_command(c, PS_PATTERN);
}

/* SSUBSCRIBE shardchannel [shardchannel ...] */
void cmd_ssubscribe(srv_client_t *c)
{
    subscribe_command(c, PS_SHARD);
}

/* SUNSUBSCRIBE [shardchannel ...] */
void cmd_sunsubscribe(srv_client_t *c)
{
    unsubscribe_command(c, PS_SHARD);
}

/* PUBLISH channel message: the number of receivers. */
void cmd_publish(srv_client_t *c)
{
    srv_reply_int(c, srv_pubsub_publish(c->argv[1].ptr, c->argv[1].len,
                                        c->argv[2].ptr, c->argv[2].len));
}

/* SPUBLISH shardchannel message: the number of receivers. */
void cmd_spublish(srv_client_t *c)
{
    srv_reply_int(c, publish_shard(c->argv[1].ptr, c->argv[1].len,
                                   c->argv[2].ptr, c->argv[2].len));
}

/* PUBSUB with an unknown subcommand. */
void cmd_pubsub(srv_client_t *c)
{
    srv_reply_unknown_subcommand(c);
}

/* ERR unknown subcommand or wrong number of arguments for '<argv[1]>'.
 * Try PUBSUB HELP. (Redis's reply to a subcommand with bad arguments.) */
static void reply_subcommand_syntax(srv_client_t *c)
{
    int n = c->argv[1].len > 128 ? 128 : (int)c->argv[1].len;

    srv_reply_errorf(c, "ERR unknown subcommand or wrong number of "
                        "arguments for '%.*s'. Try PUBSUB HELP.",
                     n, c->argv[1].ptr);
}

/* The active names of kind matching c's optional pattern argv[2]. */
static void reply_channels(srv_client_t *c, int kind)
{
    const resp_slice_t *pat = c->argc == 3 ? &c->argv[2] : NULL;
    hp_dict_iter_t it;
    hp_dict_entry_t *e;
    size_t h;
    int64_t n = 0;

    if (c->argc > 3) {
        reply_subcommand_syntax(c);
        return;
    }
    h = srv_reply_deferred(c);
    if (server_subs[kind]) {
        hp_dict_iter_init(&it, server_subs[kind], 1);
        while ((e = hp_dict_iter_next(&it)) != NULL) {
            if (pat && !srv_glob_match(pat->ptr, pat->len, e->key,
                                       e->keylen, 0))
                continue;
            srv_reply_bulk(c, e->key, e->keylen);
            n++;
        }
        hp_dict_iter_fini(&it);
    }
    srv_reply_set_deferred(c, h, '*', n);
}

/* [name, subscribers, ...] for every name argument (kind). */
static void reply_numsub(srv_client_t *c, int kind)
{
    srv_reply_array_len(c, (int64_t)(c->argc - 2) * 2);
    for (int i = 2; i < c->argc; i++) {
        hp_dict_entry_t *e = NULL;

        if (server_subs[kind])
            e = hp_dict_find(server_subs[kind], c->argv[i].ptr,
                             c->argv[i].len);
        srv_reply_bulk(c, c->argv[i].ptr, c->argv[i].len);
        srv_reply_int(c, e ? (int64_t)((sub_list_t *)e->v.ptr)->n : 0);
    }
}

/* PUBSUB CHANNELS [pattern] */
void cmd_pubsub_channels(srv_client_t *c)
{
    reply_channels(c, PS_CHANNEL);
}

/* PUBSUB SHARDCHANNELS [pattern] */
void cmd_pubsub_shardchannels(srv_client_t *c)
{
    reply_channels(c, PS_SHARD);
}

/* PUBSUB NUMSUB [channel ...] */
void cmd_pubsub_numsub(srv_client_t *c)
{
    reply_numsub(c, PS_CHANNEL);
}

/* PUBSUB SHARDNUMSUB [shardchannel ...] */
void cmd_pubsub_shardnumsub(srv_client_t *c)
{
    reply_numsub(c, PS_SHARD);
}

/* PUBSUB NUMPAT: the number of distinct patterns subscribed to. */
void cmd_pubsub_numpat(srv_client_t *c)
{
    srv_reply_int(c, (int64_t)server_count(PS_PATTERN));
}

static const char *const pubsub_help_lines[] = {
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> "
    "(default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, "
    "excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a "
    "<pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level "
    "channel(s)",
    "HELP",
    "    Prints this help.",
    NULL,
};

/* PUBSUB HELP */
void cmd_pubsub_help(srv_client_t *c)
{
    srv_reply_help(c, pubsub_help_lines);
}
