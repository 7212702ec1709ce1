/*
 * harness.h - integration-test harness: start a real gencached on an
 * ephemeral port, talk to it with hiredis, stop it by PID.
 *
 * The server binary comes from the GENCACHED_BIN environment variable
 * (meson sets it). Every test executable is one cmocka group whose setup
 * starts a server and whose teardown stops it.
 */
#ifndef GENCACHE_TESTS_HARNESS_H
#define GENCACHE_TESTS_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <hiredis/hiredis.h>

typedef struct th_server {
    pid_t pid;
    int port;
    char dir[256];     /* private temp dir (cwd of the server), removed at stop */
    char log[300];     /* dir/"server.log": the server's stdout/stderr */
    redisContext *ctx; /* a connection opened by th_group_setup, or NULL */
} th_server_t;

/* Start gencached on a free port with extra arguments (NULL-terminated
 * list of "--directive", "value" ..., may be NULL), wait until it answers
 * PING (PONG or NOAUTH both count), up to 30 s. 0 on success, -1 on
 * failure (the log is printed to stderr). */
int th_server_start(th_server_t *s, const char *const *args);
/* Same, with a config file path passed as the server's first argument
 * (before the harness's own --port/--bind directives and args). */
int th_server_start_conf(th_server_t *s, const char *conf_path,
                         const char *const *args);
/* A TCP port on 127.0.0.1 that was free when probed, or -1. */
int th_free_port(void);
/* SIGTERM, wait up to 30 s, then SIGKILL. Returns the exit status as
 * waitpid reports it (WEXITSTATUS when exited), -1 if killed. Frees ctx. */
int th_server_stop(th_server_t *s);
/* New connection to s (asserts success). Caller frees it. */
redisContext *th_connect(const th_server_t *s);

/* cmocka group setup/teardown: *state becomes a th_server_t* started with
 * no extra args and an open connection in ->ctx. */
int th_group_setup(void **state);
/* The same with DEBUG enabled (--enable-debug-command yes). */
int th_group_setup_debug(void **state);
int th_group_teardown(void **state);
/* Per-test setup for tests that want a clean server: FLUSHALL, SELECT 0 on
 * the group's connection. */
int th_test_setup(void **state);

/* Send a command (hiredis format) and return the reply; asserts it is not
 * NULL (connection errors fail the test). Caller frees with
 * freeReplyObject. */
redisReply *th_cmd(redisContext *c, const char *fmt, ...);
redisReply *th_cmdv(redisContext *c, int argc, const char **argv,
                    const size_t *lens);

/* One-line checks: send a command and assert the reply, then free it. */
void th_expect_status(redisContext *c, const char *status, const char *fmt,
                      ...);
void th_expect_int(redisContext *c, long long v, const char *fmt, ...);
void th_expect_str(redisContext *c, const char *s, const char *fmt, ...);
void th_expect_nil(redisContext *c, const char *fmt, ...);
/* Error reply whose text starts with prefix (e.g. "ERR syntax error" or
 * "WRONGTYPE"). */
void th_expect_error(redisContext *c, const char *prefix, const char *fmt,
                     ...);

/* The integer after "name:" in the reply of INFO section (NULL: plain
 * INFO) on c, or -1 when the field is absent. */
long long th_info_int(redisContext *c, const char *section, const char *name);
/* Wait (up to 30 s) until th_info_int(c, section, name) is want; fails
 * the test otherwise. */
void th_wait_info(redisContext *c, const char *section, const char *name,
                  long long want);

/* Read one pub/sub message on sub (a SUBSCRIBEd connection) into buf as
 * "channel payload"; fails the test on anything else. */
void th_read_message(redisContext *sub, char *buf, size_t size);

/* Raw socket helpers for protocol tests: connect a plain TCP socket,
 * send bytes, read until `want` bytes or EOF/timeout (ms). */
int th_raw_connect(const th_server_t *s);
void th_raw_send(int fd, const char *buf, size_t len);
/* Read into buf (up to size-1 bytes, NUL-terminated) until at least `want`
 * bytes arrived, the peer closed, or timeout_ms passed. Returns bytes read;
 * *closed is set to 1 if the peer closed the connection. */
size_t th_raw_read(int fd, char *buf, size_t size, size_t want,
                   int timeout_ms, int *closed);

#endif /* GENCACHE_TESTS_HARNESS_H */
