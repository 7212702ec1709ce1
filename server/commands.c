/*
 * commands.c - the command table, expanded from commands.def, and its
 * lookup.
 *
 * Layout: `cmd_table` holds one srv_command_t per CMD line, in .def order.
 * `sub_table` is one flat array built from the same lines: every CMD line
 * becomes a NULL-name terminator and every SUB line an entry, so the
 * subcommands of a container are the entries right after its own
 * terminator (the SUB lines of a container follow its CMD line), ended by
 * the next terminator. An enum generated from the same lines gives each
 * CMD its position in sub_table.
 *
 * Lookup is the hot path (every command): an open-addressing hash table
 * built once, keyed by the name's first and last 8 bytes folded to lower
 * case a word at a time, and its length; a slot keeps those words, so a
 * name of up to 16 bytes is matched by comparing two words, with no
 * allocation, no copy and no byte loop.
 */
#include "commands.h"

#include <string.h>

/* Flag shorthands used in commands.def. */
#define F SRV_CMD_FAST
#define W SRV_CMD_WRITE
#define R SRV_CMD_READONLY
#define DOOM SRV_CMD_DENYOOM
#define A SRV_CMD_ADMIN
#define NS SRV_CMD_NOSCRIPT
#define LD SRV_CMD_LOADING
#define ST SRV_CMD_STALE
#define SENT SRV_CMD_SENTINEL
#define NOAUTH SRV_CMD_NO_AUTH
#define BUSY SRV_CMD_ALLOW_BUSY
#define NOMULTI SRV_CMD_NO_MULTI
#define PS SRV_CMD_PUBSUB
#define BLK SRV_CMD_BLOCKING
#define MAYREPL SRV_CMD_MAY_REPLICATE
#define SKIPMON SRV_CMD_SKIP_MONITOR
#define SKIPLOG SRV_CMD_SKIP_SLOWLOG

/* Slots of the lookup table: a power of two, more than twice the number
 * of commands so probe chains stay short. */
#define LOOKUP_SLOTS 1024u
/* No command name is longer than this; longer input cannot match. */
#define NAME_MAX_LEN 64

/* Position of every line in sub_table. */
enum {
#define CMD(name, ...) SUBPOS_C_##name,
#define SUB(parent, name, cname, ...) SUBPOS_S_##parent##_##cname,
#include "commands.def"
#undef CMD
#undef SUB
    SUBPOS_END
};

static srv_command_t sub_table[SUBPOS_END + 1] = {
#define CMD(unused_, ...) {.name = NULL},
#define SUB(parent, name, cname, arity, flags, fk, lk, step, since, summary) \
    {#parent "|" #name, cmd_##parent##_##cname, arity, flags, fk, lk, step,  \
     NULL, since, summary, NULL, NULL, 0, 0, 0, 0},
#include "commands.def"
#undef CMD
#undef SUB
    {.name = NULL},
};

static srv_command_t cmd_table[] = {
#define CMD(name, arity, flags, fk, lk, step, group, since, summary)       \
    {#name, cmd_##name, arity, flags, fk, lk, step, group, since, summary, \
     NULL, &sub_table[SUBPOS_C_##name + 1], 0, 0, 0, 0},
#define SUB(...)
#include "commands.def"
#undef CMD
#undef SUB
};

#define NCOMMANDS (sizeof(cmd_table) / sizeof(cmd_table[0]))

/* A slot of the lookup table: the name's folded first and last words
 * (name_words) and its length, so most lookups never read the name. */
struct lookup_slot {
    uint64_t first, last;
    size_t len;
    srv_command_t *cmd; /* NULL: an empty slot */
};

static struct lookup_slot lookup[LOOKUP_SLOTS];
static int table_ready;

/* ASCII lower case of c (command names are ASCII). */
static inline unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c;
}

/* The n (1..8) bytes at s as a word, the rest zero; reads no byte past
 * s[n - 1] (two overlapping loads, or three bytes for n < 4). */
static inline uint64_t load_upto8(const char *s, size_t n)
{
    uint32_t a, b;
    uint64_t w;

    if (n >= 8) {
        memcpy(&w, s, 8);
        return w;
    }
    if (n >= 4) {
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        return a | ((uint64_t)b << ((n - 4) * 8));
    }
    return (uint64_t)(unsigned char)s[0] |
           ((uint64_t)(unsigned char)s[n / 2] << (n / 2 * 8)) |
           ((uint64_t)(unsigned char)s[n - 1] << ((n - 1) * 8));
}

/* w with each byte in 'A'..'Z' turned to lower case, eight at a time: a
 * byte's top bit after adding 0x80 - 'A' to its low 7 bits says ">= 'A'",
 * after adding 0x7f - 'Z' says "> 'Z'"; no addition carries into the
 * next byte. Bytes >= 0x80 are left alone. */
static inline uint64_t fold_word(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101u;
    uint64_t low7 = w & (0x7fu * ones);
    uint64_t ge_a = low7 + (0x80u - 'A') * ones;
    uint64_t gt_z = low7 + (0x7fu - 'Z') * ones;
    uint64_t upper = (ge_a ^ gt_z) & ~w & (0x80u * ones);

    return w | (upper >> 2);
}

/* The folded first and last words of s[0..len) (len >= 1): the first 8
 * bytes (zero padded) and, past 8 bytes, the last 8; for len <= 16 the
 * two cover every byte. */
static inline void name_words(const char *s, size_t len, uint64_t *first,
                              uint64_t *last)
{
    *first = fold_word(load_upto8(s, len < 8 ? len : 8));
    *last = len > 8 ? fold_word(load_upto8(s + len - 8, 8)) : 0;
}

/* The slot where a probe for (first, last, len) starts. */
static inline uint32_t name_slot(uint64_t first, uint64_t last, size_t len)
{
    uint64_t h = (first ^ (last * 0xc2b2ae3d27d4eb4fu) ^ len) *
                 0x9e3779b97f4a7c15u;

    return (uint32_t)(h >> 54) & (LOOKUP_SLOTS - 1);
}

/* 1 if s[0..len) equals the lower-case name (case-insensitively). */
static inline int name_eq(const char *name, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (name[i] != (char)lower((unsigned char)s[i]) || name[i] == '\0')
            return 0;
    }
    return name[len] == '\0';
}

/* Build the lookup table and finish the subcommand links: containers
 * without SUB lines get subcommands = NULL, subcommands inherit their
 * container's group. Runs once. */
/* Module-style names (REF.HSET): a .def line cannot spell the dot, so
 * `ref_hset` there is named "ref.hset" here. */
static void dotted_name(srv_command_t *cmd)
{
    static char names[16][24];
    static size_t used;

    if (strncmp(cmd->name, "ref_", 4) != 0 || used == 16 ||
        strlen(cmd->name) >= sizeof(names[0]))
        return;
    strcpy(names[used], cmd->name);
    names[used][3] = '.';
    cmd->name = names[used++];
}

static void table_init(void)
{
    for (size_t i = 0; i < NCOMMANDS; i++) {
        srv_command_t *cmd = &cmd_table[i];
        uint64_t first, last;
        uint32_t slot;
        size_t len;

        dotted_name(cmd);
        len = strlen(cmd->name);
        name_words(cmd->name, len, &first, &last);
        slot = name_slot(first, last, len);
        while (lookup[slot].cmd)
            slot = (slot + 1) & (LOOKUP_SLOTS - 1);
        lookup[slot] = (struct lookup_slot){first, last, len, cmd};
        if (!cmd->subcommands->name) {
            cmd->subcommands = NULL;
            continue;
        }
        for (srv_command_t *sub = (srv_command_t *)cmd->subcommands;
             sub->name; sub++)
            sub->group = cmd->group;
    }
    table_ready = 1;
}

/* The command named name[0..len), case-insensitively, or NULL. Borrowed
 * (static storage). Executor thread. */
srv_command_t *srv_command_lookup(const char *name, size_t len)
{
    const struct lookup_slot *e;
    uint64_t first, last;
    uint32_t slot;

    if (!table_ready)
        table_init();
    if (len == 0 || len > NAME_MAX_LEN)
        return NULL;
    name_words(name, len, &first, &last);
    slot = name_slot(first, last, len);
    for (e = &lookup[slot]; e->cmd;
         slot = (slot + 1) & (LOOKUP_SLOTS - 1), e = &lookup[slot]) {
        if (e->first == first && e->last == last && e->len == len &&
            (len <= 16 || name_eq(e->cmd->name, name, len)))
            return e->cmd;
    }
    return NULL;
}

/* The subcommand of parent named name[0..len) (the part after '|'), or
 * NULL. Borrowed. */
srv_command_t *srv_command_lookup_sub(srv_command_t *parent,
                                      const char *name, size_t len)
{
    if (!table_ready)
        table_init();
    if (!parent || !parent->subcommands || len > NAME_MAX_LEN)
        return NULL;
    for (srv_command_t *sub = (srv_command_t *)parent->subcommands;
         sub->name; sub++) {
        const char *bar = strchr(sub->name, '|');

        if (bar && name_eq(bar + 1, name, len))
            return sub;
    }
    return NULL;
}

/* All top-level commands; their number in *count. Borrowed. */
srv_command_t *srv_command_table(size_t *count)
{
    if (!table_ready)
        table_init();
    *count = NCOMMANDS;
    return cmd_table;
}

/* Zero the statistics of every command and subcommand. */
void srv_command_reset_stats(void)
{
    for (size_t i = 0; i < NCOMMANDS; i++) {
        cmd_table[i].calls = cmd_table[i].usec = 0;
        cmd_table[i].rejected_calls = cmd_table[i].failed_calls = 0;
    }
    for (size_t i = 0; i < SUBPOS_END; i++) {
        sub_table[i].calls = sub_table[i].usec = 0;
        sub_table[i].rejected_calls = sub_table[i].failed_calls = 0;
    }
}
