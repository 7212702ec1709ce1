/*
 * log.c - the server log, in Redis's line format so that log readers and
 * people carry over:
 *
 *     <pid>:M <dd> <Mon> <yyyy> <hh>:<mm>:<ss>.<mmm> <level char> <message>
 *
 * with level chars '.' debug, '-' verbose, '*' notice, '#' warning. Lines go
 * to stdout, or are appended to cfg.logfile (opened per line, as Redis does,
 * so that log rotation by rename just works).
 */
#include "server.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* Longest message kept (Redis's LOG_MAX_LEN); longer ones are cut. */
#define LOG_MAX_LEN 1024

/* Write one formatted line to the log destination. */
static void log_write(const char *line, size_t len)
{
    const char *path = srv.cfg.logfile;
    FILE *f;

    if (!path || !path[0]) {
        fwrite(line, 1, len, stdout);
        fflush(stdout);
        return;
    }
    f = fopen(path, "a");
    if (!f)
        return;
    fwrite(line, 1, len, f);
    fclose(f);
}

/* Log a printf-style message at level (SRV_LOG_*) when level is at least
 * cfg.loglevel. Any thread: the line is built on the stack and written
 * with one call. */
void srv_log(int level, const char *fmt, ...)
{
    static const char marks[] = ".-*#";
    char msg[LOG_MAX_LEN];
    char line[LOG_MAX_LEN + 128];
    char stamp[64];
    struct timeval tv;
    struct tm tm;
    va_list ap;
    int n;

    if (level < srv.cfg.loglevel)
        return;
    if (level < SRV_LOG_DEBUG || level > SRV_LOG_WARNING)
        level = SRV_LOG_WARNING;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    gettimeofday(&tv, NULL);
    localtime_r(&tv.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%d %b %Y %H:%M:%S", &tm);
    n = snprintf(line, sizeof(line), "%d:M %s.%03d %c %s\n", (int)getpid(),
                 stamp, (int)(tv.tv_usec / 1000), marks[level], msg);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(line))
        n = (int)sizeof(line) - 1;
    log_write(line, (size_t)n);
}
