/*
 * test_log.c - unit tests of server/log.c: Redis's line format
 * "pid:M dd Mon yyyy hh:mm:ss.mmm <c> msg", the level characters, level
 * filtering by cfg.loglevel, message truncation, appending to
 * cfg.logfile (reopened per line, so a rotated file is recreated) and
 * stdout when no logfile is set.
 */
#include <fcntl.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "server.h"

static char logpath[64];

/* The whole log file as a NUL-terminated string (caller frees), or NULL
 * when it does not exist. */
static char *read_log(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf;
    size_t n;

    if (!f)
        return NULL;
    buf = calloc(1, 1 << 16);
    assert_non_null(buf);
    n = fread(buf, 1, (1 << 16) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Assert that line (up to its '\n') has Redis's format with level char
 * mark and message msg. */
static void assert_line(const char *line, char mark, const char *msg)
{
    static const char *re_text =
        "^([0-9]+):M [0-9]{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|"
        "Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3} "
        "([.*#-]) ";
    regex_t re;
    regmatch_t m[4];
    const char *nl = strchr(line, '\n');
    char pid[32];

    assert_non_null(nl);
    assert_int_equal(regcomp(&re, re_text, REG_EXTENDED), 0);
    assert_int_equal(regexec(&re, line, 4, m, 0), 0);
    regfree(&re);
    snprintf(pid, sizeof(pid), "%d", (int)getpid());
    assert_int_equal((size_t)(m[1].rm_eo - m[1].rm_so), strlen(pid));
    assert_memory_equal(line + m[1].rm_so, pid, strlen(pid));
    assert_int_equal(line[m[3].rm_so], mark);
    assert_int_equal((size_t)(nl - (line + m[0].rm_eo)), strlen(msg));
    assert_memory_equal(line + m[0].rm_eo, msg, strlen(msg));
}

static int setup(void **state)
{
    int fd;

    (void)state;
    strcpy(logpath, "/tmp/gencache-test-log-XXXXXX");
    fd = mkstemp(logpath);
    if (fd < 0)
        return -1;
    close(fd);
    unlink(logpath);
    srv.cfg.logfile = logpath;
    srv.cfg.loglevel = SRV_LOG_DEBUG;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(logpath);
    srv.cfg.logfile = NULL;
    return 0;
}

static void test_log_line_format(void **state)
{
    char *text;

    (void)state;
    srv_log(SRV_LOG_NOTICE, "Ready to accept connections %s %d", "tcp", 7);
    text = read_log(logpath);
    assert_non_null(text);
    assert_line(text, '*', "Ready to accept connections tcp 7");
    assert_int_equal(strchr(text, '\n')[1], '\0'); /* exactly one line */
    free(text);
}

static void test_log_level_marks(void **state)
{
    char *text, *line;

    (void)state;
    srv_log(SRV_LOG_DEBUG, "d");
    srv_log(SRV_LOG_VERBOSE, "v");
    srv_log(SRV_LOG_NOTICE, "n");
    srv_log(SRV_LOG_WARNING, "w");
    srv_log(42, "out of range"); /* treated as a warning */
    text = read_log(logpath);
    assert_non_null(text);
    line = text;
    assert_line(line, '.', "d");
    line = strchr(line, '\n') + 1;
    assert_line(line, '-', "v");
    line = strchr(line, '\n') + 1;
    assert_line(line, '*', "n");
    line = strchr(line, '\n') + 1;
    assert_line(line, '#', "w");
    line = strchr(line, '\n') + 1;
    assert_line(line, '#', "out of range");
    assert_int_equal(strchr(line, '\n')[1], '\0');
    free(text);
}

static void test_log_level_filtering(void **state)
{
    char *text;

    (void)state;
    srv.cfg.loglevel = SRV_LOG_WARNING;
    srv_log(SRV_LOG_DEBUG, "no");
    srv_log(SRV_LOG_VERBOSE, "no");
    srv_log(SRV_LOG_NOTICE, "no");
    assert_null(read_log(logpath)); /* nothing written, file not made */
    srv_log(SRV_LOG_WARNING, "yes");
    srv.cfg.loglevel = SRV_LOG_NOTICE;
    srv_log(SRV_LOG_VERBOSE, "no");
    srv_log(SRV_LOG_NOTICE, "also");
    text = read_log(logpath);
    assert_non_null(text);
    assert_line(text, '#', "yes");
    assert_line(strchr(text, '\n') + 1, '*', "also");
    assert_int_equal(strchr(strchr(text, '\n') + 1, '\n')[1], '\0');
    free(text);
}

/* Messages are cut to Redis's LOG_MAX_LEN (1024 with the NUL). */
static void test_log_long_message_truncated(void **state)
{
    char big[4000], want[1024];
    char *text;

    (void)state;
    memset(big, 'y', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    srv_log(SRV_LOG_WARNING, "%s", big);
    text = read_log(logpath);
    assert_non_null(text);
    memset(want, 'y', sizeof(want) - 1);
    want[sizeof(want) - 1] = '\0';
    assert_line(text, '#', want);
    free(text);
}

/* The file is opened per line: lines append, and a file removed by log
 * rotation is created again. */
static void test_log_appends_and_reopens(void **state)
{
    char *text;

    (void)state;
    srv_log(SRV_LOG_NOTICE, "first");
    srv_log(SRV_LOG_NOTICE, "second");
    text = read_log(logpath);
    assert_non_null(text);
    assert_line(text, '*', "first");
    assert_line(strchr(text, '\n') + 1, '*', "second");
    free(text);
    assert_int_equal(unlink(logpath), 0);
    srv_log(SRV_LOG_NOTICE, "third");
    text = read_log(logpath);
    assert_non_null(text);
    assert_line(text, '*', "third");
    assert_int_equal(strchr(text, '\n')[1], '\0');
    free(text);
}

/* An unwritable logfile drops the line without crashing. */
static void test_log_unwritable_file_ignored(void **state)
{
    (void)state;
    srv.cfg.logfile = "/nonexistent-dir-gencache/x.log";
    srv_log(SRV_LOG_WARNING, "lost");
    srv.cfg.logfile = logpath;
    assert_null(read_log(logpath));
}

/* With an empty logfile the line goes to stdout. */
static void test_log_stdout_when_no_file(void **state)
{
    int saved, fd;
    char *text;

    (void)state;
    fflush(stdout);
    saved = dup(STDOUT_FILENO);
    assert_true(saved >= 0);
    fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_true(dup2(fd, STDOUT_FILENO) >= 0);
    close(fd);
    srv.cfg.logfile = "";
    srv_log(SRV_LOG_NOTICE, "to stdout");
    srv.cfg.logfile = NULL;
    srv_log(SRV_LOG_NOTICE, "also stdout");
    fflush(stdout);
    assert_true(dup2(saved, STDOUT_FILENO) >= 0);
    close(saved);
    srv.cfg.logfile = logpath;
    text = read_log(logpath);
    assert_non_null(text);
    assert_line(text, '*', "to stdout");
    assert_line(strchr(text, '\n') + 1, '*', "also stdout");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_log_line_format, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_log_level_marks, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_log_level_filtering, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_log_long_message_truncated,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_appends_and_reopens,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_unwritable_file_ignored,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_stdout_when_no_file,
                                        setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
