/*
 * t_command.c - COMMAND and its subcommands (COUNT, INFO, DOCS, LIST,
 * GETKEYS, HELP), all generated from the command table (commands.def).
 *
 * Reply shapes follow Redis 7.0.15: COMMAND INFO gives 10 fields per
 * command (name, arity, flags, first/last/step, ACL categories, tips, key
 * specs, subcommands). The table has no per-command ACL categories, so
 * they are derived as Redis derives its implicit ones (from the flags)
 * plus the category of the command's group; key specs are derived from
 * the legacy first/last/step range.
 */
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

/* ---------------------------------------------------------------------
 * Names
 * ------------------------------------------------------------------ */

/* Full name of cmd ("get", or "client|list" for a subcommand of parent)
 * into buf. Returns buf. */
static const char *full_name(const srv_command_t *parent,
                             const srv_command_t *cmd, char *buf, size_t size)
{
    if (parent == NULL || strchr(cmd->name, '|') != NULL) {
        snprintf(buf, size, "%s", cmd->name);
    } else {
        snprintf(buf, size, "%s|%s", parent->name, cmd->name);
    }
    return buf;
}

/* Number of subcommands of cmd. */
static size_t sub_count(const srv_command_t *cmd)
{
    size_t n = 0;

    if (cmd->subcommands != NULL) {
        while (cmd->subcommands[n].name != NULL) {
            n++;
        }
    }
    return n;
}

/* ---------------------------------------------------------------------
 * Flags and ACL categories
 * ------------------------------------------------------------------ */

static const struct {
    uint32_t flag;
    const char *name;
} flag_names[] = {
    /* Redis's order; may_replicate and sentinel are hidden, as there. */
    {SRV_CMD_WRITE, "write"},         {SRV_CMD_READONLY, "readonly"},
    {SRV_CMD_DENYOOM, "denyoom"},     {SRV_CMD_ADMIN, "admin"},
    {SRV_CMD_PUBSUB, "pubsub"},       {SRV_CMD_NOSCRIPT, "noscript"},
    {SRV_CMD_BLOCKING, "blocking"},   {SRV_CMD_LOADING, "loading"},
    {SRV_CMD_STALE, "stale"},         {SRV_CMD_SKIP_MONITOR, "skip_monitor"},
    {SRV_CMD_SKIP_SLOWLOG, "skip_slowlog"}, {SRV_CMD_FAST, "fast"},
    {SRV_CMD_NO_AUTH, "no_auth"},     {SRV_CMD_NO_MULTI, "no_multi"},
    {SRV_CMD_ALLOW_BUSY, "allow_busy"},
};

#define N_FLAG_NAMES (sizeof(flag_names) / sizeof(flag_names[0]))

/* ACL categories in the order Redis lists them. */
enum {
    CAT_KEYSPACE, CAT_READ, CAT_WRITE, CAT_SET, CAT_SORTEDSET, CAT_LIST,
    CAT_HASH, CAT_STRING, CAT_BITMAP, CAT_HYPERLOGLOG, CAT_GEO, CAT_STREAM,
    CAT_PUBSUB, CAT_ADMIN, CAT_FAST, CAT_SLOW, CAT_BLOCKING, CAT_DANGEROUS,
    CAT_CONNECTION, CAT_TRANSACTION, CAT_SCRIPTING, CAT_COUNT
};

static const char *const cat_names[CAT_COUNT] = {
    "keyspace", "read", "write", "set", "sortedset", "list", "hash",
    "string", "bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin",
    "fast", "slow", "blocking", "dangerous", "connection", "transaction",
    "scripting",
};

/* Command group -> its ACL category, as Redis's command JSON files tag
 * them. */
static const struct {
    const char *group;
    int cat;
} group_cats[] = {
    {"string", CAT_STRING},       {"generic", CAT_KEYSPACE},
    {"connection", CAT_CONNECTION}, {"list", CAT_LIST},
    {"hash", CAT_HASH},           {"set", CAT_SET},
    {"sorted-set", CAT_SORTEDSET}, {"pubsub", CAT_PUBSUB},
    {"transactions", CAT_TRANSACTION}, {"scripting", CAT_SCRIPTING},
    {"bitmap", CAT_BITMAP},       {"hyperloglog", CAT_HYPERLOGLOG},
    {"geo", CAT_GEO},             {"stream", CAT_STREAM},
};

/* Commands Redis tags beyond what flags and group imply. */
static const struct {
    const char *name;
    uint32_t cats;
} extra_cats[] = {
    {"dbsize", 1u << CAT_KEYSPACE},
    {"flushdb", 1u << CAT_KEYSPACE | 1u << CAT_DANGEROUS},
    {"flushall", 1u << CAT_KEYSPACE | 1u << CAT_DANGEROUS},
    {"swapdb", 1u << CAT_KEYSPACE | 1u << CAT_DANGEROUS},
    {"keys", 1u << CAT_DANGEROUS},
    {"info", 1u << CAT_DANGEROUS},
    {"lastsave", 1u << CAT_ADMIN | 1u << CAT_DANGEROUS},
    {"sort", 1u << CAT_DANGEROUS},
    {"restore", 1u << CAT_DANGEROUS},
};

/* The ACL category bits of cmd (parent NULL for top-level commands). */
static uint32_t command_cats(const srv_command_t *parent,
                             const srv_command_t *cmd)
{
    const char *group = parent ? parent->group : cmd->group;
    const char *top = parent ? parent->name : cmd->name;
    uint32_t cats = 0;
    size_t i;

    if (cmd->flags & SRV_CMD_WRITE) cats |= 1u << CAT_WRITE;
    if (cmd->flags & SRV_CMD_READONLY) cats |= 1u << CAT_READ;
    if (cmd->flags & SRV_CMD_ADMIN) {
        cats |= 1u << CAT_ADMIN | 1u << CAT_DANGEROUS;
    }
    if (cmd->flags & SRV_CMD_PUBSUB) cats |= 1u << CAT_PUBSUB;
    if (cmd->flags & SRV_CMD_BLOCKING) cats |= 1u << CAT_BLOCKING;
    cats |= 1u << ((cmd->flags & SRV_CMD_FAST) ? CAT_FAST : CAT_SLOW);
    /* Containers carry no group category of their own in Redis. */
    if (sub_count(cmd) == 0 && group != NULL) {
        for (i = 0; i < sizeof(group_cats) / sizeof(group_cats[0]); i++) {
            if (strcmp(group, group_cats[i].group) == 0) {
                cats |= 1u << group_cats[i].cat;
            }
        }
    }
    /* COMMAND is in the server group but tagged @connection, container
     * included. */
    if (strcmp(top, "command") == 0) {
        cats |= 1u << CAT_CONNECTION;
    }
    for (i = 0; i < sizeof(extra_cats) / sizeof(extra_cats[0]); i++) {
        if (parent == NULL && strcmp(cmd->name, extra_cats[i].name) == 0) {
            cats |= extra_cats[i].cats;
        }
    }
    return cats;
}

/* ---------------------------------------------------------------------
 * COMMAND INFO entries
 * ------------------------------------------------------------------ */

/* ---------------------------------------------------------------------
 * Movable keys
 *
 * Commands whose key positions depend on their arguments (a numkeys
 * argument, SORT's STORE): Redis gives them a key-extraction function and
 * the "movablekeys" flag. Here one table maps the command name to where
 * its numkeys argument sits, an optional fixed destination key before it,
 * and the key-spec flags of both.
 * ------------------------------------------------------------------ */

typedef struct movable_keys {
    const char *name;
    int numkeys_at;      /* index of numkeys, 0 for SORT / SORT_RO */
    int dest_at;         /* index of a destination key, or 0 */
    const char *dest_flags;
    const char *key_flags;
} movable_keys_t;

static const movable_keys_t movable_table[] = {
    {"zunionstore", 2, 1, "OW update", "RO access"},
    {"zinterstore", 2, 1, "OW update", "RO access"},
    {"zdiffstore", 2, 1, "OW update", "RO access"},
    {"zunion", 1, 0, NULL, "RO access"},
    {"zinter", 1, 0, NULL, "RO access"},
    {"zdiff", 1, 0, NULL, "RO access"},
    {"zintercard", 1, 0, NULL, "RO access"},
    {"sintercard", 1, 0, NULL, "RO access"},
    {"lmpop", 1, 0, NULL, "RW access delete"},
    {"zmpop", 1, 0, NULL, "RW access delete"},
    {"blmpop", 2, 0, NULL, "RW access delete"},
    {"bzmpop", 2, 0, NULL, "RW access delete"},
    {"sort", 0, 0, "OW update", "RO access"},
    {"sort_ro", 0, 0, NULL, "RO access"},
};

/* The movable-keys entry of top-level command cmd, or NULL. */
static const movable_keys_t *movable_of(const srv_command_t *cmd)
{
    size_t i;

    for (i = 0; i < sizeof(movable_table) / sizeof(movable_table[0]); i++) {
        if (strcmp(cmd->name, movable_table[i].name) == 0) {
            return &movable_table[i];
        }
    }
    return NULL;
}

/* Key positions of a movable-keys command in args[0..argc) into pos[]
 * (argc entries) and each key's flags into flags[]. Returns the number
 * of keys, 0 when the arguments name none (bad numkeys). */
static int movable_keys(const movable_keys_t *m, const resp_slice_t *args,
                        int argc, int *pos, const char **flags)
{
    int64_t numkeys;
    int n = 0, j;

    if (m->numkeys_at == 0) { /* SORT key ... [STORE dst] */
        pos[n] = 1;
        flags[n++] = m->key_flags;
        j = m->dest_flags ? srv_sort_store_key(args, argc) : 0;
        if (j > 0) {
            pos[n] = j;
            flags[n++] = m->dest_flags;
        }
        return n;
    }
    if (m->numkeys_at >= argc ||
        srv_parse_ll(args[m->numkeys_at].ptr, args[m->numkeys_at].len,
                     &numkeys) != 0 ||
        numkeys <= 0 || numkeys > argc - m->numkeys_at - 1) {
        return 0;
    }
    if (m->dest_at > 0) {
        pos[n] = m->dest_at;
        flags[n++] = m->dest_flags;
    }
    for (j = 0; j < (int)numkeys; j++) {
        pos[n] = m->numkeys_at + 1 + j;
        flags[n++] = m->key_flags;
    }
    return n;
}

/* Flags as a set of status strings; "movablekeys" last as in Redis. */
static void reply_flags(srv_client_t *c, const srv_command_t *parent,
                        const srv_command_t *cmd)
{
    size_t i, n = 0;
    int movable = parent == NULL && movable_of(cmd) != NULL;

    for (i = 0; i < N_FLAG_NAMES; i++) {
        n += (cmd->flags & flag_names[i].flag) != 0;
    }
    srv_reply_set_len(c, (int64_t)n + movable);
    for (i = 0; i < N_FLAG_NAMES; i++) {
        if (cmd->flags & flag_names[i].flag) {
            srv_reply_simple(c, flag_names[i].name);
        }
    }
    if (movable) {
        srv_reply_simple(c, "movablekeys");
    }
}

/* ACL categories as a set of "@name" status strings. */
static void reply_cats(srv_client_t *c, uint32_t cats)
{
    char buf[32];
    int i, n = 0;

    for (i = 0; i < CAT_COUNT; i++) {
        n += (cats >> i) & 1;
    }
    srv_reply_set_len(c, n);
    for (i = 0; i < CAT_COUNT; i++) {
        if ((cats >> i) & 1) {
            snprintf(buf, sizeof(buf), "@%s", cat_names[i]);
            srv_reply_simple(c, buf);
        }
    }
}

/* ---------------------------------------------------------------------
 * Key specs
 *
 * The table keeps first/last/step only, so the key-spec flags of Redis
 * 7.0.15's command docs are listed here by command name. A command with
 * two specs ("second" set) has its first key in the first spec and the
 * rest of its range in the second (RENAME, LMOVE, BITOP, ...). Commands
 * not listed get RO access (readonly) or RW update (write).
 * ------------------------------------------------------------------ */

static const struct {
    const char *name;
    const char *first;  /* space separated flags of the first spec */
    const char *second; /* of the second spec, or NULL */
} key_flags[] = {
    {"get", "RO access", NULL},
    {"set", "RW access update variable_flags", NULL},
    {"setnx", "OW insert", NULL},
    {"setex", "OW update", NULL},
    {"psetex", "OW update", NULL},
    {"restore", "OW update", NULL},
    {"mget", "RO access", NULL},
    {"mset", "OW update", NULL},
    {"msetnx", "OW insert", NULL},
    {"getset", "RW access update", NULL},
    {"getdel", "RW access delete", NULL},
    {"getex", "RW access update", NULL},
    {"append", "RW insert", NULL},
    {"strlen", "RO", NULL},
    {"incr", "RW access update", NULL},
    {"decr", "RW access update", NULL},
    {"incrby", "RW access update", NULL},
    {"decrby", "RW access update", NULL},
    {"incrbyfloat", "RW access update", NULL},
    {"getrange", "RO access", NULL},
    {"substr", "RO access", NULL},
    {"setrange", "RW update", NULL},
    {"lcs", "RO access", NULL},
    {"del", "RM delete", NULL},
    {"unlink", "RM delete", NULL},
    {"exists", "RO", NULL},
    {"type", "RO", NULL},
    {"rename", "RW access delete", "OW update"},
    {"renamenx", "RW access delete", "OW insert"},
    {"copy", "RO access", "OW update"},
    {"move", "RW access update", NULL},
    {"touch", "RO", NULL},
    {"expire", "RW update", NULL},
    {"pexpire", "RW update", NULL},
    {"expireat", "RW update", NULL},
    {"pexpireat", "RW update", NULL},
    {"persist", "RW update", NULL},
    {"object|encoding", "RO", NULL},
    {"object|refcount", "RO", NULL},
    {"object|idletime", "RO", NULL},
    {"object|freq", "RO", NULL},
    {"lpush", "RW insert", NULL},
    {"rpush", "RW insert", NULL},
    {"lpushx", "RW insert", NULL},
    {"rpushx", "RW insert", NULL},
    {"lpop", "RW access delete", NULL},
    {"rpop", "RW access delete", NULL},
    {"llen", "RO", NULL},
    {"lset", "RW update", NULL},
    {"linsert", "RW insert", NULL},
    {"lrem", "RW delete", NULL},
    {"ltrim", "RW delete", NULL},
    {"rpoplpush", "RW access delete", "RW insert"},
    {"lmove", "RW access delete", "RW insert"},
    {"blpop", "RW access delete", NULL},
    {"brpop", "RW access delete", NULL},
    {"brpoplpush", "RW access delete", "RW insert"},
    {"blmove", "RW access delete", "RW insert"},
    {"bzpopmin", "RW access delete", NULL},
    {"bzpopmax", "RW access delete", NULL},
    {"setbit", "RW access update", NULL},
    {"bitop", "OW update", "RO access"},
    {"bitfield", "RW access update variable_flags", NULL},
    {"hset", "RW update", NULL},
    {"hsetnx", "RW insert", NULL},
    {"hmset", "RW update", NULL},
    {"hdel", "RW delete", NULL},
    {"hlen", "RO", NULL},
    {"hstrlen", "RO", NULL},
    {"hexists", "RO", NULL},
    {"hincrby", "RW access update", NULL},
    {"hincrbyfloat", "RW access update", NULL},
    {"sort", "RO access", NULL},
};

/* The flags of cmd's key specs (second NULL for one spec). */
static void key_spec_flags(const srv_command_t *cmd, const char **first,
                           const char **second)
{
    size_t i;

    for (i = 0; i < sizeof(key_flags) / sizeof(key_flags[0]); i++) {
        if (strcmp(cmd->name, key_flags[i].name) == 0) {
            *first = key_flags[i].first;
            *second = key_flags[i].second;
            return;
        }
    }
    *first = (cmd->flags & SRV_CMD_WRITE) ? "RW update" : "RO access";
    *second = NULL;
}

/* Reply space separated flags as a set of status strings. */
static void reply_flag_words(srv_client_t *c, const char *words)
{
    char word[32];
    const char *p = words;
    int n = 0;

    while (*p) {
        n++;
        p += strcspn(p, " ");
        p += strspn(p, " ");
    }
    srv_reply_set_len(c, n);
    for (p = words; *p;) {
        size_t len = strcspn(p, " ");
        snprintf(word, sizeof(word), "%.*s", (int)len, p);
        srv_reply_simple(c, word);
        p += len;
        p += strspn(p, " ");
    }
}

/* One "index + range" key spec. */
static void reply_key_spec(srv_client_t *c, const char *flags, int index,
                           int64_t lastkey, int step)
{
    srv_reply_map_len(c, 3);
    srv_reply_bulk_cstr(c, "flags");
    reply_flag_words(c, flags);
    srv_reply_bulk_cstr(c, "begin_search");
    srv_reply_map_len(c, 2);
    srv_reply_bulk_cstr(c, "type");
    srv_reply_bulk_cstr(c, "index");
    srv_reply_bulk_cstr(c, "spec");
    srv_reply_map_len(c, 1);
    srv_reply_bulk_cstr(c, "index");
    srv_reply_int(c, index);
    srv_reply_bulk_cstr(c, "find_keys");
    srv_reply_map_len(c, 2);
    srv_reply_bulk_cstr(c, "type");
    srv_reply_bulk_cstr(c, "range");
    srv_reply_bulk_cstr(c, "spec");
    srv_reply_map_len(c, 3);
    srv_reply_bulk_cstr(c, "lastkey");
    srv_reply_int(c, lastkey);
    srv_reply_bulk_cstr(c, "keystep");
    srv_reply_int(c, step);
    srv_reply_bulk_cstr(c, "limit");
    srv_reply_int(c, 0);
}

/* The lastkey of a range starting at index `from` and ending at the
 * command's last key (negative: counted from the end). */
static int64_t range_lastkey(const srv_command_t *cmd, int from)
{
    return cmd->last_key < 0 ? cmd->last_key : cmd->last_key - from;
}

/* The begin_search part of a key spec: at a fixed index, or "unknown"
 * (index < 0). */
static void reply_begin_search(srv_client_t *c, int index)
{
    srv_reply_bulk_cstr(c, "begin_search");
    srv_reply_map_len(c, 2);
    srv_reply_bulk_cstr(c, "type");
    srv_reply_bulk_cstr(c, index < 0 ? "unknown" : "index");
    srv_reply_bulk_cstr(c, "spec");
    if (index < 0) {
        srv_reply_map_len(c, 0);
        return;
    }
    srv_reply_map_len(c, 1);
    srv_reply_bulk_cstr(c, "index");
    srv_reply_int(c, index);
}

/* A key spec whose keys follow a numkeys argument at index (keynum
 * find_keys), or an "unknown" one (index < 0: SORT's BY/GET/STORE). */
static void reply_movable_spec(srv_client_t *c, const char *flags, int index)
{
    srv_reply_map_len(c, 3);
    srv_reply_bulk_cstr(c, "flags");
    reply_flag_words(c, flags);
    reply_begin_search(c, index);
    srv_reply_bulk_cstr(c, "find_keys");
    srv_reply_map_len(c, 2);
    srv_reply_bulk_cstr(c, "type");
    srv_reply_bulk_cstr(c, index < 0 ? "unknown" : "keynum");
    srv_reply_bulk_cstr(c, "spec");
    if (index < 0) {
        srv_reply_map_len(c, 0);
        return;
    }
    srv_reply_map_len(c, 3);
    srv_reply_bulk_cstr(c, "keynumidx");
    srv_reply_int(c, 0);
    srv_reply_bulk_cstr(c, "firstkey");
    srv_reply_int(c, 1);
    srv_reply_bulk_cstr(c, "keystep");
    srv_reply_int(c, 1);
}

/* Key specs of a movable-keys command, as Redis 7.0 lists them: an
 * optional destination key then a keynum spec; for SORT / SORT_RO the
 * sorted key then "unknown" specs for BY/GET (and STORE). */
static void reply_movable_specs(srv_client_t *c, const movable_keys_t *m)
{
    if (m->numkeys_at == 0) {
        srv_reply_set_len(c, m->dest_flags ? 3 : 2);
        reply_key_spec(c, m->key_flags, 1, 0, 1);
        reply_movable_spec(c, m->key_flags, -1);
        if (m->dest_flags) {
            reply_movable_spec(c, m->dest_flags, -1);
        }
        return;
    }
    srv_reply_set_len(c, m->dest_at > 0 ? 2 : 1);
    if (m->dest_at > 0) {
        reply_key_spec(c, m->dest_flags, m->dest_at, 0, 1);
    }
    reply_movable_spec(c, m->key_flags, m->numkeys_at);
}

/* Key specs: none, one range, or (two-spec commands) the first key then
 * the rest of the range; movable-keys commands have their own. */
static void reply_key_specs(srv_client_t *c, const srv_command_t *parent,
                            const srv_command_t *cmd)
{
    const movable_keys_t *m = parent == NULL ? movable_of(cmd) : NULL;
    const char *first, *second;
    int from;

    if (m != NULL) {
        reply_movable_specs(c, m);
        return;
    }
    if (cmd->first_key <= 0) {
        srv_reply_set_len(c, 0);
        return;
    }
    key_spec_flags(cmd, &first, &second);
    if (second == NULL) {
        srv_reply_set_len(c, 1);
        reply_key_spec(c, first, cmd->first_key,
                       range_lastkey(cmd, cmd->first_key), cmd->key_step);
        return;
    }
    from = cmd->first_key + cmd->key_step;
    srv_reply_set_len(c, 2);
    reply_key_spec(c, first, cmd->first_key, 0, 1);
    reply_key_spec(c, second, from, range_lastkey(cmd, from), cmd->key_step);
}

static void reply_info(srv_client_t *c, const srv_command_t *parent,
                       const srv_command_t *cmd);

/* Subcommands' INFO entries: an array, or an empty set when none. */
static void reply_info_subs(srv_client_t *c, const srv_command_t *cmd)
{
    size_t i, n = sub_count(cmd);

    if (n == 0) {
        srv_reply_set_len(c, 0);
        return;
    }
    srv_reply_array_len(c, (int64_t)n);
    for (i = 0; i < n; i++) {
        reply_info(c, cmd, &cmd->subcommands[i]);
    }
}

/* One COMMAND INFO entry (null for an unknown command). */
static void reply_info(srv_client_t *c, const srv_command_t *parent,
                       const srv_command_t *cmd)
{
    char name[128];

    if (cmd == NULL) {
        srv_reply_null_array(c);
        return;
    }
    srv_reply_array_len(c, 10);
    srv_reply_bulk_cstr(c, full_name(parent, cmd, name, sizeof(name)));
    srv_reply_int(c, cmd->arity);
    reply_flags(c, parent, cmd);
    srv_reply_int(c, cmd->first_key);
    srv_reply_int(c, cmd->last_key);
    srv_reply_int(c, cmd->key_step);
    reply_cats(c, command_cats(parent, cmd));
    srv_reply_set_len(c, 0); /* tips */
    reply_key_specs(c, parent, cmd);
    reply_info_subs(c, cmd);
}

/* Look up "name" or "parent|sub". Sets *parent for a subcommand. */
static srv_command_t *lookup_full(const resp_slice_t *a,
                                  srv_command_t **parent)
{
    const char *bar = memchr(a->ptr, '|', a->len);
    srv_command_t *p;

    *parent = NULL;
    if (bar == NULL) {
        return srv_command_lookup(a->ptr, a->len);
    }
    p = srv_command_lookup(a->ptr, (size_t)(bar - a->ptr));
    if (p == NULL || p->subcommands == NULL) {
        return NULL;
    }
    *parent = p;
    return srv_command_lookup_sub(p, bar + 1,
                                  a->len - (size_t)(bar - a->ptr) - 1);
}

/* Every top-level command's INFO entry. */
static void reply_all_info(srv_client_t *c)
{
    size_t i, n;
    srv_command_t *table = srv_command_table(&n);

    srv_reply_array_len(c, (int64_t)n);
    for (i = 0; i < n; i++) {
        reply_info(c, NULL, &table[i]);
    }
}

/* COMMAND (no subcommand: every command's info; else unknown) */
void cmd_command(srv_client_t *c)
{
    if (c->argc == 1) {
        reply_all_info(c);
        return;
    }
    srv_reply_unknown_subcommand(c);
}

/* COMMAND COUNT */
void cmd_command_count(srv_client_t *c)
{
    size_t n;

    srv_command_table(&n);
    srv_reply_int(c, (int64_t)n);
}

/* COMMAND INFO [command-name ...] */
void cmd_command_info(srv_client_t *c)
{
    int j;

    if (c->argc == 2) {
        reply_all_info(c);
        return;
    }
    srv_reply_array_len(c, c->argc - 2);
    for (j = 2; j < c->argc; j++) {
        srv_command_t *parent, *cmd = lookup_full(&c->argv[j], &parent);
        reply_info(c, parent, cmd);
    }
}

/* ---------------------------------------------------------------------
 * COMMAND DOCS
 * ------------------------------------------------------------------ */

static void reply_docs(srv_client_t *c, const srv_command_t *parent,
                       const srv_command_t *cmd);

/* name -> docs for cmd (a map entry). */
static void reply_docs_entry(srv_client_t *c, const srv_command_t *parent,
                             const srv_command_t *cmd)
{
    char name[128];

    srv_reply_bulk_cstr(c, full_name(parent, cmd, name, sizeof(name)));
    reply_docs(c, parent, cmd);
}

/* The docs map of one command: summary, since, group, complexity and
 * subcommands, the fields the table knows. */
static void reply_docs(srv_client_t *c, const srv_command_t *parent,
                       const srv_command_t *cmd)
{
    size_t i, nsub = sub_count(cmd);
    int64_t len = 1;
    const char *group = parent ? parent->group : cmd->group;

    len += cmd->summary != NULL;
    len += cmd->since != NULL;
    len += cmd->complexity != NULL;
    len += nsub > 0;
    srv_reply_map_len(c, len);
    if (cmd->summary) {
        srv_reply_bulk_cstr(c, "summary");
        srv_reply_bulk_cstr(c, cmd->summary);
    }
    if (cmd->since) {
        srv_reply_bulk_cstr(c, "since");
        srv_reply_bulk_cstr(c, cmd->since);
    }
    srv_reply_bulk_cstr(c, "group");
    srv_reply_bulk_cstr(c, group ? group : "server");
    if (cmd->complexity) {
        srv_reply_bulk_cstr(c, "complexity");
        srv_reply_bulk_cstr(c, cmd->complexity);
    }
    if (nsub > 0) {
        srv_reply_bulk_cstr(c, "subcommands");
        srv_reply_map_len(c, (int64_t)nsub);
        for (i = 0; i < nsub; i++) {
            reply_docs_entry(c, cmd, &cmd->subcommands[i]);
        }
    }
}

/* COMMAND DOCS [command-name ...]: unknown names are left out. */
void cmd_command_docs(srv_client_t *c)
{
    size_t i, n;
    srv_command_t *table = srv_command_table(&n);
    size_t handle;
    int64_t found = 0;
    int j;

    if (c->argc == 2) {
        srv_reply_map_len(c, (int64_t)n);
        for (i = 0; i < n; i++) {
            reply_docs_entry(c, NULL, &table[i]);
        }
        return;
    }
    handle = srv_reply_deferred(c);
    for (j = 2; j < c->argc; j++) {
        srv_command_t *parent, *cmd = lookup_full(&c->argv[j], &parent);
        if (cmd != NULL) {
            reply_docs_entry(c, parent, cmd);
            found++;
        }
    }
    srv_reply_set_deferred(c, handle, '%', found);
}

/* ---------------------------------------------------------------------
 * COMMAND LIST
 * ------------------------------------------------------------------ */

/* A COMMAND LIST filter. */
typedef struct list_filter {
    int kind;               /* 0 none, 1 module, 2 aclcat, 3 pattern */
    const resp_slice_t *arg;
} list_filter_t;

/* Does cmd pass the filter? */
static int list_match(const list_filter_t *f, const srv_command_t *parent,
                      const srv_command_t *cmd, const char *name)
{
    int i;

    switch (f->kind) {
    case 1:
        return 0; /* no modules */
    case 2:
        for (i = 0; i < CAT_COUNT; i++) {
            if (srv_arg_is(f->arg, cat_names[i])) {
                return (command_cats(parent, cmd) >> i) & 1;
            }
        }
        return 0;
    case 3:
        return srv_glob_match(f->arg->ptr, f->arg->len, name, strlen(name),
                              1);
    default:
        return 1;
    }
}

/* Reply the names of cmd and its subcommands that pass f; returns how
 * many were replied. */
static int64_t list_add(srv_client_t *c, const list_filter_t *f,
                        const srv_command_t *parent, const srv_command_t *cmd)
{
    char name[128];
    int64_t n = 0;
    size_t i, nsub = sub_count(cmd);

    full_name(parent, cmd, name, sizeof(name));
    if (list_match(f, parent, cmd, name)) {
        srv_reply_bulk_cstr(c, name);
        n++;
    }
    for (i = 0; i < nsub; i++) {
        n += list_add(c, f, cmd, &cmd->subcommands[i]);
    }
    return n;
}

/* COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern] */
void cmd_command_list(srv_client_t *c)
{
    list_filter_t f = {0, NULL};
    size_t i, n, handle;
    srv_command_t *table;
    int64_t count = 0;

    if (c->argc == 5 && srv_arg_is(&c->argv[2], "filterby")) {
        if (srv_arg_is(&c->argv[3], "module")) {
            f.kind = 1;
        } else if (srv_arg_is(&c->argv[3], "aclcat")) {
            f.kind = 2;
        } else if (srv_arg_is(&c->argv[3], "pattern")) {
            f.kind = 3;
        }
        f.arg = &c->argv[4];
    }
    if (c->argc != 2 && f.kind == 0) {
        srv_reply_syntax_error(c);
        return;
    }
    table = srv_command_table(&n);
    handle = srv_reply_deferred(c);
    for (i = 0; i < n; i++) {
        count += list_add(c, &f, NULL, &table[i]);
    }
    srv_reply_set_deferred(c, handle, '*', count);
}

/* ---------------------------------------------------------------------
 * COMMAND GETKEYS, HELP
 * ------------------------------------------------------------------ */

/* True when cmd's arity accepts argc arguments. */
static int arity_ok(const srv_command_t *cmd, int argc)
{
    return cmd->arity > 0 ? argc == cmd->arity : argc >= -cmd->arity;
}

/* Flags of a command whose key flags depend on its arguments (Redis's
 * variable_flags): SET without GET overwrites, BITFIELD with only GET
 * reads. Else `fixed`. */
static const char *variable_key_flags(const srv_command_t *cmd,
                                      const resp_slice_t *args, int argc,
                                      const char *fixed)
{
    int j;

    if (strcmp(cmd->name, "set") == 0) {
        for (j = 3; j < argc; j++) {
            if (srv_arg_is(&args[j], "get")) {
                return "RW access update";
            }
        }
        return "OW update";
    }
    if (strcmp(cmd->name, "bitfield") == 0) {
        for (j = 2; j < argc; j++) {
            if (srv_arg_is(&args[j], "set") ||
                srv_arg_is(&args[j], "incrby")) {
                return "RW access update";
            }
        }
        return "RO access";
    }
    return fixed;
}

/* The command COMMAND GETKEYS* names in args[0..argc), with its
 * subcommand. Replies Redis's error and returns NULL when it is unknown,
 * has no keys, or argc does not fit its arity. */
static srv_command_t *getkeys_command(srv_client_t *c,
                                      const resp_slice_t *args, int argc)
{
    srv_command_t *cmd = srv_command_lookup(args[0].ptr, args[0].len);

    if (cmd != NULL && cmd->subcommands != NULL && argc >= 2) {
        cmd = srv_command_lookup_sub(cmd, args[1].ptr, args[1].len);
    }
    if (cmd == NULL) {
        srv_reply_error(c, "ERR Invalid command specified");
    } else if (cmd->first_key <= 0 && movable_of(cmd) == NULL) {
        srv_reply_error(c, "ERR The command has no key arguments");
    } else if (!arity_ok(cmd, argc)) {
        srv_reply_error(c, "ERR Invalid number of arguments specified for "
                           "command");
    } else {
        return cmd;
    }
    return NULL;
}

/* Positions and flags of the keys of cmd in args[0..argc) from its
 * first/last/step range (flags per key spec, the first key from the
 * first spec). Returns the number of keys, -1 when the range does not fit
 * the arguments. */
static int range_keys(const srv_command_t *cmd, const resp_slice_t *args,
                      int argc, int *pos, const char **flags)
{
    const char *flags1, *flags2;
    int first = cmd->first_key, last, j, n = 0;

    last = cmd->last_key < 0 ? argc + cmd->last_key : cmd->last_key;
    if (last >= argc || last < first) {
        return -1;
    }
    key_spec_flags(cmd, &flags1, &flags2);
    flags1 = variable_key_flags(cmd, args, argc, flags1);
    for (j = first; j <= last; j += cmd->key_step) {
        pos[n] = j;
        flags[n++] = j > first && flags2 ? flags2 : flags1;
    }
    return n;
}

/* COMMAND GETKEYS / GETKEYSANDFLAGS: the keys of the command in argv[2..]
 * (with their key-spec flags when with_flags). */
static void getkeys_generic(srv_client_t *c, int with_flags)
{
    const resp_slice_t *args = &c->argv[2];
    int argc = c->argc - 2, j, n;
    srv_command_t *cmd = getkeys_command(c, args, argc);
    const movable_keys_t *m;
    const char **flags;
    int *pos;

    if (cmd == NULL) {
        return;
    }
    pos = malloc(sizeof(*pos) * (size_t)argc);
    flags = malloc(sizeof(*flags) * (size_t)argc);
    if (pos == NULL || flags == NULL) {
        free(pos);
        free(flags);
        srv_reply_oom(c);
        return;
    }
    m = movable_of(cmd);
    n = m != NULL ? movable_keys(m, args, argc, pos, flags)
                  : range_keys(cmd, args, argc, pos, flags);
    if (n <= 0) {
        srv_reply_error(c, "ERR Invalid arguments specified for command");
    } else {
        srv_reply_array_len(c, n);
    }
    for (j = 0; j < n; j++) {
        if (with_flags) {
            srv_reply_array_len(c, 2);
        }
        srv_reply_bulk(c, args[pos[j]].ptr, args[pos[j]].len);
        if (with_flags) {
            reply_flag_words(c, flags[j]);
        }
    }
    free(pos);
    free(flags);
}

/* COMMAND GETKEYS command [arg ...] */
void cmd_command_getkeys(srv_client_t *c)
{
    getkeys_generic(c, 0);
}

/* COMMAND GETKEYSANDFLAGS command [arg ...] */
void cmd_command_getkeysandflags(srv_client_t *c)
{
    getkeys_generic(c, 1);
}

static const char *const command_help_lines[] = {
    "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "(no subcommand)",
    "    Return details about all Redis commands.",
    "COUNT",
    "    Return the total number of commands in this Redis server.",
    "LIST",
    "    Return a list of all commands in this Redis server.",
    "INFO [<command-name> ...]",
    "    Return details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "DOCS [<command-name> ...]",
    "    Return documentation details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "GETKEYS <full-command>",
    "    Return the keys from a full Redis command.",
    "GETKEYSANDFLAGS <full-command>",
    "    Return the keys and the access flags from a full Redis command.",
    "HELP",
    "    Prints this help.",
    NULL,
};

/* COMMAND HELP */
void cmd_command_help(srv_client_t *c)
{
    srv_reply_help(c, command_help_lines);
}
