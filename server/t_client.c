/*
 * t_client.c - the CLIENT container: ID, SETNAME, GETNAME, LIST, INFO,
 * KILL, PAUSE, UNPAUSE, REPLY, NO-EVICT and HELP, with Redis 7.0.15's
 * replies and errors.
 *
 * The CLIENT LIST line itself is built by client.c
 * (srv_client_info_line); this file selects clients and acts on them.
 * There are no ACL users besides "default", no replicas and no master,
 * so the filters for those match nothing (or everybody, for USER default).
 */
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

/* Client types as CLIENT LIST/KILL TYPE name them. */
enum client_type {
    CT_NORMAL = 0,
    CT_REPLICA = 1,
    CT_PUBSUB = 2,
    CT_MASTER = 3,
};

/* The type of a client: pubsub when subscribed, else normal (MONITOR
 * clients are normal too, as in Redis). */
static int client_type(const srv_client_t *c)
{
    return (c->flags & SRV_CLIENT_PUBSUB) ? CT_PUBSUB : CT_NORMAL;
}

/* Type by name, or -1 when unknown. */
static int client_type_by_name(const resp_slice_t *a)
{
    if (srv_arg_is(a, "normal")) {
        return CT_NORMAL;
    }
    if (srv_arg_is(a, "slave") || srv_arg_is(a, "replica")) {
        return CT_REPLICA;
    }
    if (srv_arg_is(a, "pubsub")) {
        return CT_PUBSUB;
    }
    if (srv_arg_is(a, "master")) {
        return CT_MASTER;
    }
    return -1;
}

/* Parse a type argument, replying Redis's error when unknown. The type,
 * or -1 after the error reply. */
static int client_type_or_reply(srv_client_t *c, const resp_slice_t *a)
{
    int t = client_type_by_name(a);

    if (t < 0) {
        srv_reply_errorf(c, "ERR Unknown client type '%.*s'", (int)a->len,
                         a->ptr);
    }
    return t;
}

/* The error Redis gives when a CLIENT subcommand's arguments do not fit. */
static void reply_subcommand_syntax(srv_client_t *c)
{
    srv_reply_errorf(c, "ERR unknown subcommand or wrong number of "
                        "arguments for '%.*s'. Try CLIENT HELP.",
                     (int)c->argv[1].len, c->argv[1].ptr);
}

/* True when slice a equals the C string s exactly (case-sensitive). */
static int slice_eq(const resp_slice_t *a, const char *s)
{
    size_t n = strlen(s);

    return a->len == n && memcmp(a->ptr, s, n) == 0;
}

/* ---------------------------------------------------------------------
 * Names
 * ------------------------------------------------------------------ */

/* Redis's client-name rule: printable ASCII without spaces ('!'..'~'). */
static int client_name_is_valid(const resp_slice_t *name)
{
    size_t i;

    for (i = 0; i < name->len; i++) {
        unsigned char ch = (unsigned char)name->ptr[i];
        if (ch < '!' || ch > '~') {
            return 0;
        }
    }
    return 1;
}

/* Set c's name (see server.h). The name is an hp_malloc'ed copy owned by
 * the client; the previous one is freed. */
int srv_client_setname_or_reply(srv_client_t *c, const resp_slice_t *name)
{
    char *copy = NULL;

    if (!client_name_is_valid(name)) {
        srv_reply_error(c, "ERR Client names cannot contain spaces, newlines "
                           "or special characters.");
        return -1;
    }
    if (name->len > 0) {
        copy = hp_malloc(name->len + 1);
        if (copy == NULL) {
            srv_reply_oom(c);
            return -1;
        }
        memcpy(copy, name->ptr, name->len);
        copy[name->len] = '\0';
    }
    hp_free(c->name);
    c->name = copy;
    return 0;
}

/* CLIENT (no known subcommand) */
void cmd_client(srv_client_t *c)
{
    srv_reply_unknown_subcommand(c);
}

/* CLIENT ID */
void cmd_client_id(srv_client_t *c)
{
    srv_reply_int(c, (int64_t)c->id);
}

/* CLIENT SETNAME name */
void cmd_client_setname(srv_client_t *c)
{
    if (srv_client_setname_or_reply(c, &c->argv[2]) == 0) {
        srv_reply_ok(c);
    }
}

/* CLIENT GETNAME */
void cmd_client_getname(srv_client_t *c)
{
    srv_reply_bulk_cstr(c, c->name);
}

/* ---------------------------------------------------------------------
 * LIST and INFO
 * ------------------------------------------------------------------ */

/* A growable text buffer for CLIENT LIST (hp_malloc'ed). */
typedef struct text {
    char *data;
    size_t len;
    size_t cap;
    int oom;
} text_t;

/* Append c's CLIENT LIST line and a newline to t. */
static void text_add_client(text_t *t, srv_client_t *c)
{
    size_t need = 1024 + (c->name ? strlen(c->name) : 0) +
                  (c->lib_name ? strlen(c->lib_name) : 0) +
                  (c->lib_ver ? strlen(c->lib_ver) : 0);
    size_t n;

    if (t->oom) {
        return;
    }
    if (t->cap - t->len < need + 1) {
        size_t cap = (t->cap + need + 1) * 2;
        char *p = hp_realloc(t->data, cap);
        if (p == NULL) {
            t->oom = 1;
            return;
        }
        t->data = p;
        t->cap = cap;
    }
    n = srv_client_info_line(c, t->data + t->len, need);
    if (n >= need) {
        n = need - 1;
    }
    t->len += n;
    t->data[t->len++] = '\n';
}

/* Reply the collected lines as Redis does (verbatim "txt" in RESP3, a
 * bulk string in RESP2) and free them. */
static void text_reply(srv_client_t *c, text_t *t)
{
    if (t->oom) {
        srv_reply_oom(c);
    } else {
        srv_reply_verbatim(c, t->data ? t->data : "", t->len, "txt");
    }
    hp_free(t->data);
}

/* Does client x have one of the ids in argv[from..argc)? Ids were
 * validated before. */
static int client_in_ids(const srv_client_t *c, const srv_client_t *x,
                         int from)
{
    int j;

    for (j = from; j < c->argc; j++) {
        int64_t id = 0;
        srv_parse_ll(c->argv[j].ptr, c->argv[j].len, &id);
        if ((uint64_t)id == x->id) {
            return 1;
        }
    }
    return 0;
}

/* Check CLIENT LIST ID's arguments: 0, or -1 after "Invalid client ID". */
static int list_check_ids(srv_client_t *c, int from)
{
    int j;

    for (j = from; j < c->argc; j++) {
        int64_t id;
        if (srv_parse_ll(c->argv[j].ptr, c->argv[j].len, &id) != 0) {
            srv_reply_error(c, "ERR Invalid client ID");
            return -1;
        }
    }
    return 0;
}

/* CLIENT LIST [TYPE normal|master|replica|pubsub] [ID id [id ...]] */
void cmd_client_list(srv_client_t *c)
{
    int type = -1, ids_from = 0;
    text_t t = {0};
    srv_client_t *x;

    if (c->argc == 4 && srv_arg_is(&c->argv[2], "type")) {
        if ((type = client_type_or_reply(c, &c->argv[3])) < 0) {
            return;
        }
    } else if (c->argc > 3 && srv_arg_is(&c->argv[2], "id")) {
        ids_from = 3;
        if (list_check_ids(c, ids_from) != 0) {
            return;
        }
    } else if (c->argc != 2) {
        srv_reply_syntax_error(c);
        return;
    }
    for (x = srv.clients; x != NULL; x = x->next) {
        if (type >= 0 && client_type(x) != type) {
            continue;
        }
        if (ids_from && !client_in_ids(c, x, ids_from)) {
            continue;
        }
        text_add_client(&t, x);
    }
    text_reply(c, &t);
}

/* CLIENT INFO */
void cmd_client_info(srv_client_t *c)
{
    text_t t = {0};

    text_add_client(&t, c);
    text_reply(c, &t);
}

/* ---------------------------------------------------------------------
 * KILL
 * ------------------------------------------------------------------ */

/* The filters of CLIENT KILL's new form. */
typedef struct kill_filter {
    const resp_slice_t *addr;  /* ADDR ip:port, or NULL */
    const resp_slice_t *laddr; /* LADDR ip:port, or NULL */
    int type;                  /* TYPE, -1 = any */
    uint64_t id;               /* ID, 0 = any */
    int no_user;               /* USER named someone who cannot exist */
    int skipme;                /* SKIPME yes (default) */
} kill_filter_t;

/* Parse one "option value" pair of CLIENT KILL at argv[i]. 0, or -1
 * after an error reply. */
static int kill_parse_pair(srv_client_t *c, int i, kill_filter_t *f)
{
    const resp_slice_t *opt = &c->argv[i], *val = &c->argv[i + 1];
    int64_t id;

    if (srv_arg_is(opt, "id")) {
        if (srv_arg_range_or_reply(c, val, 1, INT64_MAX, &id,
                                   "ERR client-id should be greater than "
                                   "0") != 0) {
            return -1;
        }
        f->id = (uint64_t)id;
    } else if (srv_arg_is(opt, "type")) {
        if ((f->type = client_type_or_reply(c, val)) < 0) {
            return -1;
        }
    } else if (srv_arg_is(opt, "addr")) {
        f->addr = val;
    } else if (srv_arg_is(opt, "laddr")) {
        f->laddr = val;
    } else if (srv_arg_is(opt, "user")) {
        /* The only user is "default", and every client is logged as it. */
        if (!slice_eq(val, "default")) {
            srv_reply_errorf(c, "ERR No such user '%.*s'", (int)val->len,
                             val->ptr);
            return -1;
        }
    } else if (srv_arg_is(opt, "skipme")) {
        if (srv_arg_is(val, "yes")) {
            f->skipme = 1;
        } else if (srv_arg_is(val, "no")) {
            f->skipme = 0;
        } else {
            srv_reply_syntax_error(c);
            return -1;
        }
    } else {
        srv_reply_syntax_error(c);
        return -1;
    }
    return 0;
}

/* Does client x pass the filters (as seen by the killer c)? */
static int kill_matches(const srv_client_t *c, const srv_client_t *x,
                        const kill_filter_t *f)
{
    if (x->flags & (SRV_CLIENT_CLOSE_ASAP | SRV_CLIENT_CLOSING)) {
        return 0;
    }
    if (f->addr && !slice_eq(f->addr, x->addr)) {
        return 0;
    }
    if (f->laddr && !slice_eq(f->laddr, x->laddr)) {
        return 0;
    }
    if (f->type >= 0 && client_type(x) != f->type) {
        return 0;
    }
    if (f->id && x->id != f->id) {
        return 0;
    }
    if (f->skipme && x == c) {
        return 0;
    }
    return 1;
}

/* Close x: after its reply when it is the caller, else right away. */
static void kill_client(srv_client_t *c, srv_client_t *x)
{
    if (x == c) {
        x->flags |= SRV_CLIENT_CLOSE_AFTER_REPLY;
    } else {
        x->flags |= SRV_CLIENT_CLOSE_ASAP;
    }
    srv_client_close_async(x);
}

/* Kill every client passing f; returns how many. */
static int64_t kill_by_filter(srv_client_t *c, const kill_filter_t *f)
{
    srv_client_t *x, *next;
    int64_t killed = 0;

    for (x = srv.clients; x != NULL; x = next) {
        next = x->next;
        if (kill_matches(c, x, f)) {
            kill_client(c, x);
            killed++;
        }
    }
    return killed;
}

/* CLIENT KILL ip:port
 * CLIENT KILL [ID id] [TYPE type] [USER user] [ADDR ip:port]
 *             [LADDR ip:port] [SKIPME yes|no] ... */
void cmd_client_kill(srv_client_t *c)
{
    kill_filter_t f = {NULL, NULL, -1, 0, 0, 1};
    int i;

    if (c->argc == 3) {
        /* Old form: exactly one client by address, and an error if none. */
        f.addr = &c->argv[2];
        f.skipme = 0;
        if (kill_by_filter(c, &f) == 0) {
            srv_reply_error(c, "ERR No such client");
            return;
        }
        srv_reply_ok(c);
        return;
    }
    for (i = 2; i < c->argc; i += 2) {
        if (i + 1 >= c->argc) {
            srv_reply_syntax_error(c);
            return;
        }
        if (kill_parse_pair(c, i, &f) != 0) {
            return;
        }
    }
    srv_reply_int(c, kill_by_filter(c, &f));
}

/* ---------------------------------------------------------------------
 * PAUSE, UNPAUSE, REPLY, NO-EVICT, HELP
 * ------------------------------------------------------------------ */

/* CLIENT PAUSE timeout [WRITE|ALL]
 * A pause already in force is only ever extended, and an ALL pause is
 * not weakened to WRITE, as in Redis. The dispatcher holds the commands
 * of paused clients until srv.clients_paused_until_ms. */
void cmd_client_pause(srv_client_t *c)
{
    int64_t ms, now = srv_mstime_now();
    int write_only = 0;

    if (c->argc > 4) {
        reply_subcommand_syntax(c);
        return;
    }
    if (srv_arg_ll_or_reply(c, &c->argv[2], &ms, "ERR timeout is not an "
                                                 "integer or out of "
                                                 "range") != 0) {
        return;
    }
    if (ms < 0) {
        srv_reply_error(c, "ERR timeout is negative");
        return;
    }
    if (c->argc == 4) {
        if (srv_arg_is(&c->argv[3], "write")) {
            write_only = 1;
        } else if (!srv_arg_is(&c->argv[3], "all")) {
            srv_reply_error(c, "ERR CLIENT PAUSE mode must be WRITE or ALL");
            return;
        }
    }
    ms = ms > INT64_MAX - now ? INT64_MAX : now + ms;
    if (srv.clients_paused_until_ms > now) {
        write_only = write_only && srv.clients_pause_write_only;
        if (ms < srv.clients_paused_until_ms) {
            ms = srv.clients_paused_until_ms;
        }
    }
    srv.clients_paused_until_ms = ms;
    srv.clients_pause_write_only = write_only;
    srv_reply_ok(c);
}

/* CLIENT UNPAUSE */
void cmd_client_unpause(srv_client_t *c)
{
    srv.clients_paused_until_ms = 0;
    srv.clients_pause_write_only = 0;
    srv_reply_ok(c);
}

/* CLIENT REPLY ON|OFF|SKIP: only ON is answered. */
void cmd_client_reply(srv_client_t *c)
{
    const resp_slice_t *a = &c->argv[2];

    if (srv_arg_is(a, "on")) {
        c->reply_mode = SRV_REPLY_ON;
        srv_reply_ok(c);
    } else if (srv_arg_is(a, "off")) {
        c->reply_mode = SRV_REPLY_OFF;
    } else if (srv_arg_is(a, "skip")) {
        if (c->reply_mode != SRV_REPLY_OFF) {
            c->reply_mode = SRV_REPLY_SKIP_NEXT;
        }
    } else {
        srv_reply_syntax_error(c);
    }
}

/* CLIENT NO-EVICT ON|OFF */
void cmd_client_no_evict(srv_client_t *c)
{
    if (srv_arg_is(&c->argv[2], "on")) {
        c->flags |= SRV_CLIENT_NO_EVICT;
    } else if (srv_arg_is(&c->argv[2], "off")) {
        c->flags &= ~SRV_CLIENT_NO_EVICT;
    } else {
        srv_reply_syntax_error(c);
        return;
    }
    srv_reply_ok(c);
}

/* ---------------------------------------------------------------------
 * RESET
 * ------------------------------------------------------------------ */

/* Stop c from being a MONITOR (drop it from srv.monitors). */
static void reset_monitor(srv_client_t *c)
{
    size_t i;

    if (!(c->flags & SRV_CLIENT_MONITOR)) {
        return;
    }
    for (i = 0; i < srv.nmonitors; i++) {
        if (srv.monitors[i] == c) {
            memmove(&srv.monitors[i], &srv.monitors[i + 1],
                    (srv.nmonitors - i - 1) * sizeof(srv.monitors[0]));
            srv.nmonitors--;
            break;
        }
    }
    if (srv.nmonitors == 0) {
        free(srv.monitors);
        srv.monitors = NULL;
    }
    c->flags &= ~SRV_CLIENT_MONITOR;
}

/* RESET: bring the connection back to its just-connected state as Redis
 * 6.2+: discard MULTI and WATCHes, leave MONITOR and every subscription,
 * CLIENT REPLY ON, NO-EVICT off, database 0, RESP2, no name, and
 * unauthenticated when a password is configured. Replies +RESET. */
void cmd_reset(srv_client_t *c)
{
    srv_multi_client_free(c);
    srv_pubsub_client_free(c);
    reset_monitor(c);
    c->reply_mode = SRV_REPLY_ON;
    c->flags &= ~SRV_CLIENT_NO_EVICT;
    c->db = &srv.dbs[0];
    c->resp = 2;
    c->out.proto = 2;
    free(c->name);
    c->name = NULL;
    if (srv.cfg.requirepass != NULL && srv.cfg.requirepass[0] != '\0') {
        c->flags &= ~SRV_CLIENT_AUTHENTICATED;
    } else {
        c->flags |= SRV_CLIENT_AUTHENTICATED;
    }
    srv_clients_apply_limits();
    srv_reply_simple(c, "RESET");
}

static const char *const client_help_lines[] = {
    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
    "HELP",
    "    Prints this help.",
    NULL,
};

/* CLIENT HELP */
void cmd_client_help(srv_client_t *c)
{
    srv_reply_help(c, client_help_lines);
}
