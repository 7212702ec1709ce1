/*
 * t_function.c - FUNCTION: the registry of Redis 7 function libraries.
 *
 * gencache has no scripting engine (Lua arrives with a later issue), so the
 * registry is always empty and every LOAD fails the way Redis fails for a
 * library whose engine is not registered. FLUSH, LIST, STATS, DELETE and
 * KILL work as in Redis on an empty registry: clients and Redis's own test
 * suite (which runs FUNCTION FLUSH before every test group) see Redis's
 * replies byte for byte. DUMP and RESTORE are absent.
 */
#include "server.h"

#include <string.h>

#include "commands.h"

/* FUNCTION <subcommand>: reached only for subcommands we do not have. */
void cmd_function(srv_client_t *c)
{
    srv_reply_unknown_subcommand(c);
}

/* FUNCTION FLUSH [ASYNC|SYNC] */
void cmd_function_flush(srv_client_t *c)
{
    if (c->argc == 3 && !srv_arg_is(&c->argv[2], "sync") &&
        !srv_arg_is(&c->argv[2], "async")) {
        srv_reply_error(c, "ERR FUNCTION FLUSH only supports SYNC|ASYNC "
                           "option");
        return;
    }
    if (c->argc > 3) {
        srv_reply_syntax_error(c);
        return;
    }
    srv_reply_ok(c);
}

/* FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE] */
void cmd_function_list(srv_client_t *c)
{
    int have_name = 0, have_code = 0;

    for (int i = 2; i < c->argc; i++) {
        const resp_slice_t *a = &c->argv[i];
        if (!have_code && srv_arg_is(a, "withcode")) {
            have_code = 1;
        } else if (!have_name && srv_arg_is(a, "libraryname")) {
            if (i == c->argc - 1) {
                srv_reply_error(c, "ERR library name argument was not "
                                   "given");
                return;
            }
            have_name = 1;
            i++;
        } else {
            srv_reply_errorf(c, "ERR Unknown argument %.*s", (int)a->len,
                             a->ptr);
            return;
        }
    }
    srv_reply_array_len(c, 0);
}

/* FUNCTION STATS: no script is ever running, and no engine exists. */
void cmd_function_stats(srv_client_t *c)
{
    srv_reply_map_len(c, 2);
    srv_reply_bulk_cstr(c, "running_script");
    srv_reply_null(c);
    srv_reply_bulk_cstr(c, "engines");
    srv_reply_map_len(c, 0);
}

/* FUNCTION DELETE library-name */
void cmd_function_delete(srv_client_t *c)
{
    srv_reply_error(c, "ERR Library not found");
}

/* FUNCTION KILL */
void cmd_function_kill(srv_client_t *c)
{
    srv_reply_error(c, "NOTBUSY No scripts in execution right now.");
}

/*
 * Check the "#!<engine> name=<library>" first line of a library's code as
 * Redis does, replying the error if it is malformed. Returns 0 and stores
 * the engine name in *engine, *engine_len when well formed, else -1.
 */
static int metadata_or_reply(srv_client_t *c, const resp_slice_t *code,
                             const char **engine, size_t *engine_len)
{
    const char *s = code->ptr, *end;
    int have_name = 0;

    if (code->len < 2 || s[0] != '#' || s[1] != '!') {
        srv_reply_error(c, "ERR Missing library metadata");
        return -1;
    }
    end = memchr(s, '\n', code->len);
    if (!end) {
        srv_reply_error(c, "ERR Invalid library metadata");
        return -1;
    }
    *engine = s + 2;
    for (s += 2; s < end && *s != ' '; s++)
        ;
    *engine_len = (size_t)(s - *engine);
    while (s < end) {
        const char *tok;
        for (; s < end && *s == ' '; s++)
            ;
        for (tok = s; s < end && *s != ' '; s++)
            ;
        if (s == tok)
            break;
        if ((size_t)(s - tok) < 5 || memcmp(tok, "name=", 5) != 0) {
            srv_reply_errorf(c, "ERR Invalid metadata value given: %.*s",
                             (int)(s - tok), tok);
            return -1;
        }
        have_name = 1;
    }
    if (!have_name) {
        srv_reply_error(c, "ERR Library name was not given");
        return -1;
    }
    return 0;
}

/* FUNCTION LOAD [REPLACE] function-code */
void cmd_function_load(srv_client_t *c)
{
    const resp_slice_t *code = &c->argv[c->argc - 1];
    const char *engine = NULL;
    size_t engine_len = 0;

    for (int i = 2; i < c->argc - 1; i++) {
        if (!srv_arg_is(&c->argv[i], "replace")) {
            srv_reply_errorf(c, "ERR Unknown option given: %.*s",
                             (int)c->argv[i].len, c->argv[i].ptr);
            return;
        }
    }
    if (metadata_or_reply(c, code, &engine, &engine_len) < 0)
        return;
    srv_reply_errorf(c, "ERR Engine '%.*s' not found", (int)engine_len,
                     engine);
}

/* FUNCTION HELP */
void cmd_function_help(srv_client_t *c)
{
    static const char *const help[] = {
        "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "LOAD [REPLACE] <FUNCTION CODE>",
        "    Create a new library with the given library name and code.",
        "    gencache has no scripting engine yet: every LOAD fails with",
        "    'Engine not found'.",
        "DELETE <LIBRARY NAME>",
        "    Delete the given library.",
        "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
        "    Return information on all the libraries (always none).",
        "STATS",
        "    Return the running function (always nil) and the engines.",
        "KILL",
        "    Kill the current running function.",
        "FLUSH [ASYNC|SYNC]",
        "    Delete all the libraries.",
        "HELP",
        "    Print this help.",
        NULL,
    };
    srv_reply_help(c, help);
}
