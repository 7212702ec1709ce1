/*
 * commands.h - prototypes of every command handler, expanded from the
 * command table commands.def: `void cmd_<name>(srv_client_t *c);` for each
 * CMD line and `void cmd_<parent>_<cname>(srv_client_t *c);` for each SUB
 * line. Handlers run on the executor thread with c->argv valid for the
 * duration of the call.
 */
#ifndef GENCACHE_SERVER_COMMANDS_H
#define GENCACHE_SERVER_COMMANDS_H

#include "server.h"

#define CMD(name, ...) srv_command_proc_t cmd_##name;
#define SUB(parent, name, cname, ...) srv_command_proc_t cmd_##parent##_##cname;
#include "commands.def"
#undef CMD
#undef SUB

#endif /* GENCACHE_SERVER_COMMANDS_H */
