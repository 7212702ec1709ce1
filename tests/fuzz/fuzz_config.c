/*
 * fuzz_config.c - libFuzzer target for server/config.c: the config file
 * parser (line splitting with quotes and escapes as sdssplitargs,
 * include, units, enums, the special directives) and the CONFIG SET
 * value parsers.
 *
 * Input: config text up to the first NUL byte; after it, NUL-separated
 * name / value pairs applied as CONFIG SET applies them.
 *
 * Checks (any failure aborts, which libFuzzer reports as a crash; leaks
 * are found by LeakSanitizer after each input):
 * 1. Loading the text from defaults returns 0, or -EINVAL with a Redis
 *    worded message ("Reading the configuration file, at line N" or
 *    "Fatal error, ...").
 * 2. CONFIG REWRITE round trip: after a successful load the text is
 *    written to a file, rewritten by srv_config_rewrite_file and loaded
 *    again from defaults: every directive's CONFIG GET value is the same.
 * 3. CONFIG GET / SET: every directive's CONFIG GET value, set back,
 *    is accepted and reads back unchanged.
 * 4. Each fuzzed pair that sets fine reads back a value for which 3
 *    holds too; a refused one leaves the directive unchanged.
 *
 * Includes resolve in a private scratch directory holding inc.conf (a
 * few directives) and loop.conf (includes itself); stdin is /dev/null
 * so that nothing blocks on it. The working directory is libFuzzer's
 * again after each input, but not while one runs: give an absolute
 * -artifact_prefix.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server.h"

#define VBUF 65536

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char scratch[64];     /* the scratch directory (absolute) */
static char rt_path[128];    /* its file for the rewrite round trip */
static char *vbuf, *vbuf2;   /* VBUF-sized value buffers */
static int home_fd = -1;     /* libFuzzer's working directory */

/* Report a broken invariant and abort. */
static void fail(const char *what, const char *name, const char *a,
                 const char *b)
{
    fprintf(stderr, "fuzz_config: %s: %s\n  first:  '%s'\n  second: '%s'\n",
            what, name ? name : "", a ? a : "", b ? b : "");
    abort();
}

/* Write len bytes of text to path (created or truncated); aborts on
 * error. */
static void write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "w");

    if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0)
        fail("cannot write", path, NULL, NULL);
}

/* Remove the scratch directory's files at exit. */
static void cleanup(void)
{
    static const char *const names[] = {"inc.conf", "loop.conf",
                                        "rt.conf"};
    char p[192];

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", scratch, names[i]);
        unlink(p);
    }
    rmdir(scratch);
}

/* The scratch directory, stdin from /dev/null. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static const char inc_text[] = "hz 20\nmaxmemory 1mb\n"
        "bind 127.0.0.1\nnotify-keyspace-events KEA\n";
    static const char loop_text[] = "include loop.conf\n";
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    int fd = open("/dev/null", O_RDONLY);

    if (fd < 0 || dup2(fd, 0) < 0)
        abort();
    close(fd);
    snprintf(scratch, sizeof(scratch), "%s/fuzz-config-XXXXXX", base);
    home_fd = open(".", O_RDONLY | O_DIRECTORY);
    if (home_fd < 0 || !mkdtemp(scratch) || chdir(scratch) != 0)
        abort();
    snprintf(rt_path, sizeof(rt_path), "%s/rt.conf", scratch);
    write_file("inc.conf", inc_text, strlen(inc_text));
    write_file("loop.conf", loop_text, strlen(loop_text));
    if (fchdir(home_fd) != 0)
        abort();
    vbuf = malloc(VBUF);
    vbuf2 = malloc(VBUF);
    if (!vbuf || !vbuf2)
        abort();
    atexit(cleanup);
    return 0;
}

/* Back to the scratch directory (the dir directive moves the process). */
static void to_scratch(void)
{
    if (chdir(scratch) != 0)
        abort();
}

/* Every directive's CONFIG GET value, in table order (malloc'd). */
static char **snapshot(void)
{
    size_t n = 0;
    char **snap;

    while (srv_config_name(n))
        n++;
    snap = calloc(n + 1, sizeof(*snap));
    if (!snap)
        abort();
    for (size_t i = 0; i < n; i++) {
        if (srv_config_get_value(srv_config_name(i), vbuf, VBUF) != 0)
            fail("CONFIG GET of a listed name failed", srv_config_name(i),
                 NULL, NULL);
        snap[i] = strdup(vbuf);
        if (!snap[i])
            abort();
    }
    return snap;
}

static void snapshot_free(char **snap)
{
    for (size_t i = 0; snap[i]; i++)
        free(snap[i]);
    free(snap);
}

/* Abort unless the current values equal snap. */
static void expect_snapshot(char **snap, const char *what)
{
    for (size_t i = 0; snap[i]; i++) {
        srv_config_get_value(srv_config_name(i), vbuf, VBUF);
        if (strcmp(vbuf, snap[i]) != 0)
            fail(what, srv_config_name(i), snap[i], vbuf);
    }
}

/* A load error must read as Redis's. */
static void check_load_error(int rc, const char *err)
{
    if (rc != -EINVAL && rc != -ENOMEM)
        fail("load returned an unexpected code", NULL, err, NULL);
    if (strncmp(err, "Reading the configuration file, at line ", 40) != 0 &&
        strncmp(err, "Fatal error, ", 13) != 0)
        fail("load error has an unexpected wording", NULL, err, NULL);
}

/* True when the value survives an unquoted rewrite (bind is written as
 * bare words, in Redis too): no quotes, backslashes or control bytes. */
static int plain_words(const char *s)
{
    for (; *s; s++)
        if (*s == '"' || *s == '\'' || *s == '\\' ||
            (unsigned char)*s < ' ' || *s == 0x7f)
            return 0;
    return 1;
}

/* Check 2: rewrite the loaded text and load the result again. */
static void check_rewrite(const char *text)
{
    char err[2048];
    char **snap;
    char *back;
    FILE *f;
    long len;
    int rc;

    /* A dir that moved the process elsewhere changes where the kept
     * include lines resolve (so in Redis too): not comparable. */
    if (!getcwd(vbuf, VBUF) || strcmp(vbuf, scratch) != 0)
        return;
    srv_config_get_value("bind", vbuf, VBUF);
    if (!plain_words(vbuf))
        return;
    snap = snapshot();
    write_file(rt_path, text, strlen(text));
    rc = srv_config_rewrite_file(rt_path);
    if (rc != 0)
        fail("rewrite failed", strerror(-rc), NULL, NULL);
    f = fopen(rt_path, "r");
    if (!f || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0)
        abort();
    back = malloc((size_t)len + 1);
    if (!back || fread(back, 1, (size_t)len, f) != (size_t)len)
        abort();
    back[len] = '\0';
    fclose(f);
    to_scratch();
    srv_config_init_defaults();
    rc = srv_config_load_string(back, err, sizeof(err));
    if (rc != 0)
        fail("the rewritten file does not load", err, text, back);
    expect_snapshot(snap, "value changed by a rewrite round trip");
    free(back);
    snapshot_free(snap);
}

/* Check 3 for one directive: GET, SET it back, GET the same. */
static void check_get_set(const char *name)
{
    char err[512];

    if (srv_config_get_value(name, vbuf, VBUF) != 0)
        fail("CONFIG GET failed", name, NULL, NULL);
    if (srv_config_set_value(name, vbuf, err, sizeof(err)) != 0)
        fail("CONFIG SET of the CONFIG GET value refused", name, vbuf,
             err);
    srv_config_get_value(name, vbuf2, VBUF);
    if (strcmp(vbuf, vbuf2) != 0)
        fail("CONFIG GET changed by CONFIG SET of itself", name, vbuf,
             vbuf2);
}

/* Check 4: the pairs after the text. */
static void apply_pairs(const char *p, const char *end)
{
    while (p < end) {
        const char *name = p, *value;
        char err[512];
        char **snap;

        p += strlen(p) + 1;
        if (p >= end)
            return;
        value = p;
        p += strlen(p) + 1;
        snap = snapshot();
        err[0] = '\0';
        if (srv_config_set_value(name, value, err, sizeof(err)) == 0) {
            if (srv_config_get_value(name, vbuf, VBUF) != 0)
                fail("CONFIG GET after a good CONFIG SET failed", name,
                     value, NULL);
            check_get_set(name);
        } else {
            if (err[0] == '\0')
                fail("CONFIG SET refused without a reason", name, value,
                     NULL);
            expect_snapshot(snap, "refused CONFIG SET changed a value");
        }
        snapshot_free(snap);
        to_scratch();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 2);
    char err[2048];
    size_t tlen;
    int rc;

    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    buf[size + 1] = '\0';
    tlen = strlen(buf);

    to_scratch();
    srv_config_init_defaults();
    err[0] = '\0';
    rc = srv_config_load_string(buf, err, sizeof(err));
    if (rc != 0) {
        check_load_error(rc, err);
    } else {
        if (err[0] != '\0')
            fail("load succeeded with an error message", NULL, err, NULL);
        check_rewrite(buf);
    }
    to_scratch();
    for (size_t i = 0; srv_config_name(i); i++)
        check_get_set(srv_config_name(i));
    to_scratch();
    if (tlen < size)
        apply_pairs(buf + tlen + 1, buf + size + 1);
    srv_config_free();
    free(buf);
    if (fchdir(home_fd) != 0)
        abort();
    return 0;
}
