/*
 * t_memory.c - MEMORY: what a key costs and where the server's memory goes.
 *
 * Sizes are real allocation sizes (malloc_usable_size) as heap/ accounts
 * them, so MEMORY USAGE of every key added up plus the overhead reported by
 * MEMORY STATS is used_memory. Nested values are measured whole: the SAMPLES
 * option is accepted for compatibility and only validated.
 */
#include "server.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

/* MEMORY <subcommand>: reached only for subcommands we do not have. */
void cmd_memory(srv_client_t *c)
{
    srv_reply_unknown_subcommand(c);
}

/* Bytes one binding of db costs: its dict entry, its value, and its expire
 * entry when it has a TTL. 0 when the key does not exist. */
static size_t key_usage(srv_db_t *db, const resp_slice_t *key)
{
    hp_dict_entry_t *e;
    hp_obj_t *o;
    size_t n;

    if (!(o = srv_db_lookup_nostats(db, key->ptr, key->len)))
        return 0;
    e = hp_dict_find(db->dict, key->ptr, key->len);
    n = hp_malloc_size(e) + hp_obj_mem(o); /* o: a weak alias's object */
    e = hp_dict_find(db->expires, key->ptr, key->len);
    if (e)
        n += hp_malloc_size(e);
    return n;
}

/* MEMORY USAGE key [SAMPLES count] */
void cmd_memory_usage(srv_client_t *c)
{
    size_t bytes;

    for (int i = 3; i < c->argc; i += 2) {
        int64_t samples;
        if (!srv_arg_is(&c->argv[i], "samples") || i + 1 >= c->argc) {
            srv_reply_syntax_error(c);
            return;
        }
        if (srv_arg_ll_or_reply(c, &c->argv[i + 1], &samples, NULL) < 0)
            return;
        if (samples < 0) {
            srv_reply_syntax_error(c);
            return;
        }
    }
    bytes = key_usage(c->db, &c->argv[2]);
    if (bytes == 0)
        srv_reply_null(c);
    else
        srv_reply_int(c, (int64_t)bytes);
}

/* Table, entries and expire entries of every db: the keyspace's overhead
 * beyond the values themselves. Stores the key count in *keys. */
static size_t keyspace_overhead(size_t *keys)
{
    size_t n = 0;

    *keys = 0;
    for (int i = 0; i < srv.cfg.databases; i++) {
        n += hp_dict_mem(srv.dbs[i].dict) + hp_dict_mem(srv.dbs[i].expires);
        *keys += hp_dict_size(srv.dbs[i].dict);
    }
    return n;
}

/* Reply one "name" => integer pair of MEMORY STATS. */
static void stat_int(srv_client_t *c, const char *name, int64_t v)
{
    srv_reply_bulk_cstr(c, name);
    srv_reply_int(c, v);
}

/* MEMORY STATS: the fields of Redis's reply that this server measures
 * exactly (overhead.total is the keyspace's tables and entries); the ones
 * that belong to replication, AOF, Lua or the cluster are absent. */
void cmd_memory_stats(srv_client_t *c)
{
    size_t keys, used = hp_mem_used(), peak = hp_mem_peak();
    size_t overhead = keyspace_overhead(&keys);

    srv_reply_map_len(c, 7);
    stat_int(c, "peak.allocated", (int64_t)peak);
    stat_int(c, "total.allocated", (int64_t)used);
    stat_int(c, "overhead.total", (int64_t)overhead);
    stat_int(c, "keys.count", (int64_t)keys);
    stat_int(c, "keys.bytes-per-key", keys ? (int64_t)(used / keys) : 0);
    srv_reply_bulk_cstr(c, "peak.percentage");
    srv_reply_double(c, peak ? 100.0 * (double)used / (double)peak : 0);
    stat_int(c, "clients.normal", (int64_t)srv.nclients);
}

/* MEMORY DOCTOR: a short report on the two problems we can see: a peak far
 * above current use, and an empty instance. */
void cmd_memory_doctor(srv_client_t *c)
{
    size_t used = hp_mem_used(), peak = hp_mem_peak();
    const char *msg;

    if (used < 5 * 1024 * 1024)
        msg = "This instance is empty or uses very little memory: there is "
              "nothing to diagnose yet.";
    else if (peak > used + used / 2)
        msg = "Peak memory: the peak was more than 150% of the memory used "
              "now. Memory freed since is reused by the allocator, but RSS "
              "may stay high; MEMORY PURGE returns what it can to the "
              "system.";
    else
        msg = "No memory problems detected.";
    srv_reply_verbatim(c, msg, strlen(msg), "txt");
}

/* MEMORY MALLOC-STATS: glibc's malloc_info report (XML). */
void cmd_memory_malloc_stats(srv_client_t *c)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    if (!f || malloc_info(0, f) != 0) {
        if (f)
            fclose(f);
        free(text);
        srv_reply_error(c, "ERR Stats not supported for the current "
                           "allocator");
        return;
    }
    fclose(f);
    srv_reply_verbatim(c, text, len, "txt");
    free(text);
}

/* MEMORY PURGE: give free heap pages back to the system. */
void cmd_memory_purge(srv_client_t *c)
{
    hp_mem_purge();
    srv_reply_ok(c);
}

/* MEMORY HELP */
void cmd_memory_help(srv_client_t *c)
{
    static const char *const help[] = {
        "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    Return memory problems reports.",
        "MALLOC-STATS",
        "    Return internal statistics report from the memory allocator.",
        "PURGE",
        "    Attempt to purge dirty pages for reclamation by the allocator.",
        "STATS",
        "    Return information about the memory usage of the server.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Values are",
        "    measured whole; SAMPLES is accepted for compatibility.",
        "HELP",
        "    Prints this help.",
        NULL,
    };
    srv_reply_help(c, help);
}
