/*
 * srv.h - the server module's public header: what main.c and the tests
 * need to run a gencached inside a process.
 */
#ifndef GENCACHE_SERVER_SRV_H
#define GENCACHE_SERVER_SRV_H

/* Run gencached with redis-server style arguments ([config file]
 * [--directive value ...]). Returns the process exit code: 0 after a
 * clean shutdown, 1 on a configuration or startup error. Executor thread
 * (the caller's). */
int srv_main(int argc, char **argv);

#endif /* GENCACHE_SERVER_SRV_H */
