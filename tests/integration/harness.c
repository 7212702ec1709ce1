/*
 * harness.c - the integration-test harness: starts a real gencached child
 * process on a free loopback port, talks to it with hiredis or raw sockets,
 * and stops it by PID. The API and its contracts are in harness.h.
 *
 * Design: every server gets a private mkdtemp directory that is its cwd and
 * holds its log (stdout and stderr). A failed start (the port was taken
 * between our probe and the server's bind, or the server crashed) is retried
 * on a new port; the log of the last try is printed to stderr. The child
 * gets SIGKILL if the test process dies, so no server outlives its test.
 */
#include "harness.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>

#define START_TRIES      5
#define READY_TIMEOUT_MS 30000
#define STOP_TIMEOUT_MS  30000
#define MAX_ARGS         64
#define DESC_MAX         512

/* ---------------------------------------------------------------------
 * Small utilities
 * ------------------------------------------------------------------ */

/* Monotonic clock in milliseconds. */
static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleep for ms milliseconds (restarted on EINTR). */
static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Append printf-style text to out (size n) at *pos, truncating quietly. */
static void appendf(char *out, size_t n, size_t *pos, const char *fmt, ...)
{
    va_list ap;
    int w;

    if (*pos + 1 >= n) {
        return;
    }
    va_start(ap, fmt);
    w = vsnprintf(out + *pos, n - *pos, fmt, ap);
    va_end(ap);
    if (w < 0) {
        return;
    }
    *pos += (size_t)w < n - *pos ? (size_t)w : n - *pos - 1;
}

/* Append bytes to out, quoted like redis-cli does for binary data. */
static void append_quoted(char *out, size_t n, size_t *pos, const char *s,
                          size_t len)
{
    size_t i;

    appendf(out, n, pos, "\"");
    for (i = 0; i < len && *pos + 8 < n; i++) {
        unsigned char ch = (unsigned char)s[i];

        if (ch == '"' || ch == '\\') {
            appendf(out, n, pos, "\\%c", ch);
        } else if (isprint(ch)) {
            appendf(out, n, pos, "%c", ch);
        } else {
            appendf(out, n, pos, "\\x%02x", ch);
        }
    }
    if (i < len) {
        appendf(out, n, pos, "...(%zu bytes)", len);
    }
    appendf(out, n, pos, "\"");
}

/* Print the file at path to stderr (a server log), prefixed for TAP. */
static void dump_log(const char *path)
{
    char line[1024];
    FILE *f = fopen(path, "r");

    if (!f) {
        fprintf(stderr, "# (no server log at %s)\n", path);
        return;
    }
    fprintf(stderr, "# ---- server log %s ----\n", path);
    while (fgets(line, sizeof(line), f)) {
        fprintf(stderr, "# %s", line);
        if (!strchr(line, '\n')) {
            fputc('\n', stderr);
        }
    }
    fprintf(stderr, "# ---- end of server log ----\n");
    fclose(f);
}

/* Remove dir and everything below it (best effort). */
static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[1024];
    struct stat st;

    if (!d) {
        return;
    }
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) {
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            remove_tree(path);
        } else {
            unlink(path);
        }
    }
    closedir(d);
    rmdir(dir);
}

/* ---------------------------------------------------------------------
 * Starting and stopping the server
 * ------------------------------------------------------------------ */

/* A TCP port on 127.0.0.1 that was free a moment ago: bind port 0 and read
 * the port the kernel chose. Returns the port, or -1 on error. */
int th_free_port(void)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int port = -1;

    if (fd < 0) {
        return -1;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0) {
        port = ntohs(sa.sin_port);
    }
    close(fd);
    return port;
}

/* Build the child's argv into argv (MAX_ARGS slots) from the binary, an
 * optional config file, the harness's own directives and the caller's
 * extras. portbuf must outlive argv. Returns 0, or -1 if too many. */
static int build_argv(const char **argv, const char *bin, const char *conf,
                      const char *portbuf, const char *const *args)
{
    const char *io_threads = getenv("GENCACHE_IO_THREADS");
    int n = 0;

    argv[n++] = bin;
    if (conf) {
        argv[n++] = conf;
    }
    argv[n++] = "--port";
    argv[n++] = portbuf;
    argv[n++] = "--bind";
    argv[n++] = "127.0.0.1";
    argv[n++] = "--logfile";
    argv[n++] = "";
    argv[n++] = "--save";
    argv[n++] = "";
    argv[n++] = "--appendonly";
    argv[n++] = "no";
    /* `meson test --setup iothreads`: the same tests with I/O threads. */
    if (io_threads && io_threads[0]) {
        argv[n++] = "--io-threads";
        argv[n++] = io_threads;
    }
    for (; args && *args; args++) {
        if (n >= MAX_ARGS - 1) {
            return -1;
        }
        argv[n++] = *args;
    }
    argv[n] = NULL;
    return 0;
}

/* In the child: enter the server dir, send output to the log, exec. Never
 * returns. */
static void exec_server(const th_server_t *s, const char **argv)
{
    int logfd, nullfd;

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (chdir(s->dir) != 0) {
        _exit(126);
    }
    logfd = open(s->log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    nullfd = open("/dev/null", O_RDONLY);
    if (logfd < 0 || nullfd < 0) {
        _exit(126);
    }
    dup2(nullfd, 0);
    dup2(logfd, 1);
    dup2(logfd, 2);
    close(logfd);
    close(nullfd);
    execv(argv[0], (char *const *)argv);
    fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

/* One PING on a fresh connection: 1 if the server answered PONG or
 * NOAUTH, 0 otherwise. */
static int ping_ok(int port)
{
    struct timeval tv = {0, 200000};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
    redisReply *r;
    int ok = 0;

    if (!c) {
        return 0;
    }
    if (!c->err) {
        redisSetTimeout(c, (struct timeval){1, 0});
        r = redisCommand(c, "PING");
        if (r) {
            ok =
                (r->type == REDIS_REPLY_STATUS && !strcmp(r->str, "PONG")) ||
                (r->type == REDIS_REPLY_ERROR && !strncmp(r->str, "NOAUTH", 6));
            freeReplyObject(r);
        }
    }
    redisFree(c);
    return ok;
}

/* Reap s->pid if it has exited. Returns 1 if it is gone (status in
 * *status), 0 if still running. */
static int child_gone(th_server_t *s, int *status)
{
    pid_t p = waitpid(s->pid, status, WNOHANG);

    return p == s->pid || (p < 0 && errno == ECHILD);
}

/* Wait until the server answers PING. 0 when ready, 1 if the process
 * exited (worth a retry on another port), -1 on timeout (killed). */
static int wait_ready(th_server_t *s)
{
    int64_t deadline = now_ms() + READY_TIMEOUT_MS;
    int status;

    while (now_ms() < deadline) {
        if (child_gone(s, &status)) {
            s->pid = 0;
            return 1;
        }
        if (ping_ok(s->port)) {
            return 0;
        }
        sleep_ms(20);
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, &status, 0);
    s->pid = 0;
    fprintf(stderr, "# gencached did not answer PING within %d ms\n",
            READY_TIMEOUT_MS);
    return -1;
}

/* Make the private directory and the log path. 0 or -1. */
static int make_dir(th_server_t *s)
{
    const char *tmp = getenv("TMPDIR");

    if (!tmp || !*tmp) {
        tmp = "/tmp";
    }
    snprintf(s->dir, sizeof(s->dir), "%s/gencache-test-XXXXXX", tmp);
    if (!mkdtemp(s->dir)) {
        fprintf(stderr, "# mkdtemp %s: %s\n", s->dir, strerror(errno));
        return -1;
    }
    snprintf(s->log, sizeof(s->log), "%s/server.log", s->dir);
    return 0;
}

/* One attempt to start the server on a fresh port: 0 ready, 1 exited
 * early (retry), -1 hard failure. */
static int start_once(th_server_t *s, const char *bin, const char *conf,
                      const char *const *args)
{
    const char *argv[MAX_ARGS];
    char portbuf[16];
    int rc;

    s->port = th_free_port();
    if (s->port <= 0) {
        fprintf(stderr, "# no free port: %s\n", strerror(errno));
        return -1;
    }
    snprintf(portbuf, sizeof(portbuf), "%d", s->port);
    if (build_argv(argv, bin, conf, portbuf, args) != 0) {
        fprintf(stderr, "# too many server arguments\n");
        return -1;
    }
    fflush(NULL);
    s->pid = fork();
    if (s->pid < 0) {
        fprintf(stderr, "# fork: %s\n", strerror(errno));
        s->pid = 0;
        return -1;
    }
    if (s->pid == 0) {
        exec_server(s, argv);
    }
    rc = wait_ready(s);
    return rc;
}

/* Start with an optional config file; see th_server_start. */
int th_server_start_conf(th_server_t *s, const char *conf_path,
                         const char *const *args)
{
    const char *bin = getenv("GENCACHED_BIN");
    char conf_abs[PATH_MAX];
    int tries, rc = -1;

    memset(s, 0, sizeof(*s));
    if (!bin || !*bin) {
        fprintf(stderr, "# GENCACHED_BIN is not set\n");
        return -1;
    }
    /* The server runs in its own directory: make a relative path absolute. */
    if (conf_path && conf_path[0] != '/' && realpath(conf_path, conf_abs)) {
        conf_path = conf_abs;
    }
    if (make_dir(s) != 0) {
        return -1;
    }
    for (tries = 1; tries <= START_TRIES; tries++) {
        rc = start_once(s, bin, conf_path, args);
        if (rc <= 0) {
            break;
        }
    }
    if (rc != 0) {
        fprintf(stderr, "# could not start %s (%d tries)\n", bin,
                tries > START_TRIES ? START_TRIES : tries);
        dump_log(s->log);
        remove_tree(s->dir);
        return -1;
    }
    return 0;
}

/* Start gencached with extra arguments; contract in harness.h. */
int th_server_start(th_server_t *s, const char *const *args)
{
    return th_server_start_conf(s, NULL, args);
}

/* SIGTERM, wait, then SIGKILL; contract in harness.h. A server that died
 * of a signal or exited non-zero gets its log printed (sanitizer reports
 * land there). */
int th_server_stop(th_server_t *s)
{
    int status = 0, rc = -1;
    int64_t deadline = now_ms() + STOP_TIMEOUT_MS;

    if (s->ctx) {
        redisFree(s->ctx);
        s->ctx = NULL;
    }
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        while (!child_gone(s, &status) && now_ms() < deadline) {
            sleep_ms(10);
        }
        if (now_ms() >= deadline && !child_gone(s, &status)) {
            fprintf(stderr, "# gencached ignored SIGTERM for %d ms: SIGKILL\n",
                    STOP_TIMEOUT_MS);
            kill(s->pid, SIGKILL);
            waitpid(s->pid, &status, 0);
        }
        rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        if (rc != 0) {
            fprintf(stderr, "# gencached pid %d ended with %s %d\n",
                    (int)s->pid, WIFEXITED(status) ? "exit code" : "signal",
                    WIFEXITED(status) ? rc : WTERMSIG(status));
            dump_log(s->log);
        }
        s->pid = 0;
    }
    if (s->dir[0] && !getenv("TH_KEEP_DIR")) {
        remove_tree(s->dir);
    }
    s->dir[0] = '\0';
    return rc;
}

/* New hiredis connection to s; asserts success. Caller frees it. */
redisContext *th_connect(const th_server_t *s)
{
    struct timeval tv = {5, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", s->port, tv);

    if (!c || c->err) {
        fail_msg("cannot connect to gencached on port %d: %s", s->port,
                 c ? c->errstr : "out of memory");
    }
    /* A hung command fails the test instead of hanging until meson's
     * timeout. */
    redisSetTimeout(c, (struct timeval){10, 0});
    return c;
}

/* ---------------------------------------------------------------------
 * cmocka fixtures
 * ------------------------------------------------------------------ */

/* Group setup: start a server and connect; *state = the server. */
/* Group setup with the server's extra arguments args (NULL-terminated,
 * or NULL). */
static int group_setup_args(void **state, const char *const *args)
{
    th_server_t *s = calloc(1, sizeof(*s));

    if (!s || th_server_start(s, args) != 0) {
        free(s);
        return -1;
    }
    s->ctx = th_connect(s);
    *state = s;
    return 0;
}

int th_group_setup(void **state)
{
    return group_setup_args(state, NULL);
}

int th_group_setup_debug(void **state)
{
    static const char *const args[] = {"--enable-debug-command", "yes",
                                       NULL};

    return group_setup_args(state, args);
}

/* Group teardown: stop the server. Fails (-1) if the server did not exit
 * cleanly, so crashes and sanitizer reports at shutdown are seen. */
int th_group_teardown(void **state)
{
    th_server_t *s = *state;
    int rc;

    if (!s) {
        return 0;
    }
    rc = th_server_stop(s);
    free(s);
    *state = NULL;
    return rc == 0 ? 0 : -1;
}

/* 1 if c answers PING (PONG or NOAUTH), 0 if it is NULL or broken (an
 * earlier test sent QUIT or was killed with CLIENT KILL). */
static int connection_alive(redisContext *c)
{
    redisReply *r;
    int ok;

    if (!c || c->err) {
        return 0;
    }
    r = redisCommand(c, "PING");
    ok = r && (r->type == REDIS_REPLY_STATUS ||
               (r->type == REDIS_REPLY_ERROR && !strncmp(r->str, "NOAUTH", 6)));
    if (r) {
        freeReplyObject(r);
    }
    return ok && !c->err;
}

/* 1 if s still serves: its process runs and a connection (the old one, or
 * a new one when an earlier test closed it) answers FLUSHALL. 0 if it died
 * or hangs (a test left it paused or blocked); the reason is on stderr. */
static int server_usable(th_server_t *s)
{
    redisReply *r;
    int status;

    if (s->pid <= 0 || child_gone(s, &status)) {
        fprintf(stderr, "# gencached died during an earlier test\n");
        dump_log(s->log);
        s->pid = 0;
        return 0;
    }
    if (!connection_alive(s->ctx)) {
        if (s->ctx) {
            redisFree(s->ctx);
        }
        s->ctx = redisConnectWithTimeout("127.0.0.1", s->port,
                                         (struct timeval){5, 0});
        if (!s->ctx || s->ctx->err) {
            fprintf(stderr, "# cannot reconnect to gencached\n");
            return 0;
        }
        redisSetTimeout(s->ctx, (struct timeval){10, 0});
    }
    r = redisCommand(s->ctx, "FLUSHALL");
    if (!r) {
        fprintf(stderr, "# gencached does not answer FLUSHALL: %s\n",
                s->ctx->errstr);
        return 0;
    }
    freeReplyObject(r);
    return 1;
}

/* Per-test setup: a server that answers (a new one, with no extra
 * arguments, if an earlier test crashed or hung it, so later tests still
 * run), then FLUSHALL and SELECT 0 on the group's connection. */
int th_test_setup(void **state)
{
    th_server_t *s = *state;

    if (!server_usable(s)) {
        fprintf(stderr, "# restarting gencached for the next test\n");
        th_server_stop(s);
        if (th_server_start(s, NULL) != 0) {
            return -1;
        }
        s->ctx = th_connect(s);
    }
    th_expect_status(s->ctx, "OK", "FLUSHALL");
    th_expect_status(s->ctx, "OK", "SELECT 0");
    return 0;
}

/* ---------------------------------------------------------------------
 * Commands and expectations
 * ------------------------------------------------------------------ */

/* Render a formatted command as readable text ("SET \"a\" \"b\"") for
 * failure messages. */
static void describe_cmdv(char *out, size_t n, const char *fmt, va_list ap)
{
    char *raw = NULL, *p, *end;
    size_t pos = 0;
    long argc, len, i;
    int rawlen = redisvFormatCommand(&raw, fmt, ap);

    out[0] = '\0';
    if (rawlen <= 0 || raw[0] != '*') {
        snprintf(out, n, "%s", fmt);
        free(raw);
        return;
    }
    end = raw + rawlen;
    argc = strtol(raw + 1, &p, 10);
    for (i = 0; i < argc && p + 2 < end; i++) {
        p += 2; /* \r\n */
        len = strtol(p + 1, &p, 10);
        p += 2;
        if (len < 0 || p + len > end) {
            break;
        }
        if (i > 0) {
            appendf(out, n, &pos, " ");
        }
        if (i == 0) {
            appendf(out, n, &pos, "%.*s", (int)len, p);
        } else {
            append_quoted(out, n, &pos, p, (size_t)len);
        }
        p += len;
    }
    free(raw);
}

/* Render argv as readable text. */
static void describe_argv(char *out, size_t n, int argc, const char **argv,
                          const size_t *lens)
{
    size_t pos = 0;
    int i;

    out[0] = '\0';
    for (i = 0; i < argc; i++) {
        size_t len = lens ? lens[i] : strlen(argv[i]);

        if (i > 0) {
            appendf(out, n, &pos, " ");
        }
        append_quoted(out, n, &pos, argv[i], len);
    }
}

/* Render a reply like redis-cli does, nested arrays included. */
static void describe_reply(char *out, size_t n, size_t *pos,
                           const redisReply *r)
{
    size_t i;

    switch (r->type) {
    case REDIS_REPLY_STATUS:
        appendf(out, n, pos, "(status) %s", r->str);
        break;
    case REDIS_REPLY_ERROR:
        appendf(out, n, pos, "(error) %s", r->str);
        break;
    case REDIS_REPLY_INTEGER:
        appendf(out, n, pos, "(integer) %lld", r->integer);
        break;
    case REDIS_REPLY_NIL:
        appendf(out, n, pos, "(nil)");
        break;
    case REDIS_REPLY_STRING:
        append_quoted(out, n, pos, r->str, (size_t)r->len);
        break;
    case REDIS_REPLY_ARRAY:
        appendf(out, n, pos, "[");
        for (i = 0; i < r->elements; i++) {
            if (i > 0) {
                appendf(out, n, pos, ", ");
            }
            describe_reply(out, n, pos, r->element[i]);
        }
        appendf(out, n, pos, "]");
        break;
    default:
        appendf(out, n, pos, "(reply type %d)", r->type);
        break;
    }
}

/* The reply as a string in out. */
static const char *reply_text(char *out, size_t n, const redisReply *r)
{
    size_t pos = 0;

    out[0] = '\0';
    describe_reply(out, n, &pos, r);
    return out;
}

/* Send a formatted command; fail the test on a connection error. */
static redisReply *cmd_va(redisContext *c, char *desc, size_t n,
                          const char *fmt, va_list ap)
{
    va_list ap2;
    redisReply *r;

    va_copy(ap2, ap);
    describe_cmdv(desc, n, fmt, ap2);
    va_end(ap2);
    r = redisvCommand(c, fmt, ap);
    if (!r) {
        fail_msg("%s: no reply (%s)", desc, c->errstr);
    }
    return r;
}

/* Send a command; contract in harness.h. */
redisReply *th_cmd(redisContext *c, const char *fmt, ...)
{
    char desc[DESC_MAX];
    va_list ap;
    redisReply *r;

    va_start(ap, fmt);
    r = cmd_va(c, desc, sizeof(desc), fmt, ap);
    va_end(ap);
    return r;
}

/* Send an argv command; contract in harness.h. */
redisReply *th_cmdv(redisContext *c, int argc, const char **argv,
                    const size_t *lens)
{
    char desc[DESC_MAX];
    redisReply *r = redisCommandArgv(c, argc, argv, lens);

    if (!r) {
        describe_argv(desc, sizeof(desc), argc, argv, lens);
        fail_msg("%s: no reply (%s)", desc, c->errstr);
    }
    return r;
}

/* Assert a status reply equal to status. */
void th_expect_status(redisContext *c, const char *status, const char *fmt, ...)
{
    char desc[DESC_MAX], got[DESC_MAX];
    va_list ap;
    redisReply *r;

    va_start(ap, fmt);
    r = cmd_va(c, desc, sizeof(desc), fmt, ap);
    va_end(ap);
    if (r->type != REDIS_REPLY_STATUS || strcmp(r->str, status) != 0) {
        reply_text(got, sizeof(got), r);
        freeReplyObject(r);
        fail_msg("%s: expected status %s, got %s", desc, status, got);
    }
    freeReplyObject(r);
}

/* Assert an integer reply equal to v. */
void th_expect_int(redisContext *c, long long v, const char *fmt, ...)
{
    char desc[DESC_MAX], got[DESC_MAX];
    va_list ap;
    redisReply *r;

    va_start(ap, fmt);
    r = cmd_va(c, desc, sizeof(desc), fmt, ap);
    va_end(ap);
    if (r->type != REDIS_REPLY_INTEGER || r->integer != v) {
        reply_text(got, sizeof(got), r);
        freeReplyObject(r);
        fail_msg("%s: expected (integer) %lld, got %s", desc, v, got);
    }
    freeReplyObject(r);
}

/* Assert a bulk string reply equal to s. */
void th_expect_str(redisContext *c, const char *s, const char *fmt, ...)
{
    char desc[DESC_MAX], got[DESC_MAX];
    va_list ap;
    redisReply *r;
    size_t len = strlen(s);

    va_start(ap, fmt);
    r = cmd_va(c, desc, sizeof(desc), fmt, ap);
    va_end(ap);
    if (r->type != REDIS_REPLY_STRING || (size_t)r->len != len ||
        memcmp(r->str, s, len) != 0) {
        reply_text(got, sizeof(got), r);
        freeReplyObject(r);
        fail_msg("%s: expected \"%s\", got %s", desc, s, got);
    }
    freeReplyObject(r);
}

/* Assert a nil reply. */
void th_expect_nil(redisContext *c, const char *fmt, ...)
{
    char desc[DESC_MAX], got[DESC_MAX];
    va_list ap;
    redisReply *r;

    va_start(ap, fmt);
    r = cmd_va(c, desc, sizeof(desc), fmt, ap);
    va_end(ap);
    if (r->type != REDIS_REPLY_NIL) {
        reply_text(got, sizeof(got), r);
        freeReplyObject(r);
        fail_msg("%s: expected (nil), got %s", desc, got);
    }
    freeReplyObject(r);
}

/* Assert an error reply starting with prefix. */
void th_expect_error(redisContext *c, const char *prefix, const char *fmt, ...)
{
    char desc[DESC_MAX], got[DESC_MAX];
    va_list ap;
    redisReply *r;

    va_start(ap, fmt);
    r = cmd_va(c, desc, sizeof(desc), fmt, ap);
    va_end(ap);
    if (r->type != REDIS_REPLY_ERROR ||
        strncmp(r->str, prefix, strlen(prefix)) != 0) {
        reply_text(got, sizeof(got), r);
        freeReplyObject(r);
        fail_msg("%s: expected (error) %s..., got %s", desc, prefix, got);
    }
    freeReplyObject(r);
}

/* ---------------------------------------------------------------------
 * Raw sockets
 * ------------------------------------------------------------------ */

/* Plain TCP connection to s (asserts success). Caller closes the fd. */
int th_raw_connect(const th_server_t *s)
{
    struct sockaddr_in sa;
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0) {
        fail_msg("socket: %s", strerror(errno));
    }
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)s->port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        int err = errno;

        close(fd);
        fail_msg("connect to port %d: %s", s->port, strerror(err));
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

/* Send all of buf. Stops quietly if the peer closed (the test sees that on
 * its next read); fails the test if the peer stops reading for 10 s. */
void th_raw_send(int fd, const char *buf, size_t len)
{
    size_t off = 0;

    while (off < len) {
        struct pollfd pfd = {fd, POLLOUT, 0};
        ssize_t w;
        int rc = poll(&pfd, 1, 10000);

        if (rc < 0 && errno == EINTR) {
            continue;
        }
        if (rc == 0) {
            fail_msg("raw send: peer did not read for 10 s (%zu of %zu "
                     "bytes sent)",
                     off, len);
        }
        w = send(fd, buf + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
            continue;
        }
        if (w < 0) {
            return; /* EPIPE, ECONNRESET: the peer closed */
        }
        off += (size_t)w;
    }
}

/* Read until want bytes, peer close or timeout; contract in harness.h. */
size_t th_raw_read(int fd, char *buf, size_t size, size_t want, int timeout_ms,
                   int *closed)
{
    int64_t deadline = now_ms() + timeout_ms;
    size_t got = 0;

    *closed = 0;
    while (got < want && got + 1 < size) {
        int64_t left = deadline - now_ms();
        struct pollfd pfd = {fd, POLLIN, 0};
        ssize_t r;
        int rc;

        if (left <= 0) {
            break;
        }
        rc = poll(&pfd, 1, (int)left);
        if (rc < 0 && errno == EINTR) {
            continue;
        }
        if (rc <= 0) {
            break;
        }
        r = recv(fd, buf + got, size - 1 - got, MSG_DONTWAIT);
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
            continue;
        }
        if (r <= 0) {
            *closed = 1;
            break;
        }
        got += (size_t)r;
    }
    buf[got] = '\0';
    return got;
}

/* INFO field as an integer; contract in harness.h. */
long long th_info_int(redisContext *c, const char *section, const char *name)
{
    redisReply *r = section ? th_cmd(c, "INFO %s", section)
                            : th_cmd(c, "INFO");
    char pat[128];
    const char *p;
    long long v = -1;

    assert_int_equal(r->type, REDIS_REPLY_STRING);
    snprintf(pat, sizeof(pat), "\r\n%s:", name);
    p = strstr(r->str, pat);
    if (p) {
        v = strtoll(p + strlen(pat), NULL, 10);
    }
    freeReplyObject(r);
    return v;
}

/* Poll an INFO field; contract in harness.h. */
void th_wait_info(redisContext *c, const char *section, const char *name,
                  long long want)
{
    long long v = -1;

    for (int i = 0; i < 3000; i++) {
        v = th_info_int(c, section, name);
        if (v == want) {
            return;
        }
        usleep(10000);
    }
    fail_msg("%s was %lld, never %lld", name, v, want);
}

/* One pub/sub message as "channel payload"; contract in harness.h. */
void th_read_message(redisContext *sub, char *buf, size_t size)
{
    void *v = NULL;
    redisReply *r;

    assert_int_equal(redisGetReply(sub, &v), REDIS_OK);
    r = v;
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 3);
    snprintf(buf, size, "%s %s", r->element[1]->str, r->element[2]->str);
    freeReplyObject(r);
}
