/*
 * healthcheck.c -- the container's HEALTHCHECK probe: connect to gencached
 * on the loopback interface, send PING and exit 0 when the reply is +PONG,
 * 1 otherwise (refused, timed out, an error reply such as -LOADING or
 * -NOAUTH). It needs no redis-cli in the image.
 *
 * Usage: gencache-healthcheck [port]
 *   port          default: $GENCACHE_PORT, else 6379
 *   REDISCLI_AUTH when set, sent with AUTH before the PING (as redis-cli
 *                 reads it), for a server with requirepass
 *
 * The whole probe is bounded by a 3-second alarm, shorter than the image's
 * HEALTHCHECK timeout, so it never hangs.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define HC_TIMEOUT_S 3
#define HC_BUF 512

/* SIGALRM: the server did not answer in time; report unhealthy. */
static void hc_on_alarm(int signum)
{
    (void)signum;
    _exit(1);
}

/* Parse a TCP port (1..65535) from s; returns it, or -1 when s is not one. */
static int hc_parse_port(const char *s)
{
    char *end;
    long v;

    if (s == NULL || *s == '\0')
        return -1;
    v = strtol(s, &end, 10);
    if (*end != '\0' || v < 1 || v > 65535)
        return -1;
    return (int)v;
}

/* Connect to 127.0.0.1:port. Returns the socket (owned by the caller), or
 * -1 on failure. */
static int hc_connect(int port)
{
    struct sockaddr_in sa;
    int fd;

    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Write all len bytes of buf to fd. Returns 0, or -1 on a write error. */
static int hc_write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);

        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Build the request into buf (size bytes): PING, preceded by AUTH when
 * password is not NULL, as RESP arrays. Returns its length, or -1 when it
 * does not fit. */
static int hc_request(char *buf, size_t size, const char *password)
{
    int n;

    if (password != NULL)
        n = snprintf(buf, size,
                     "*2\r\n$4\r\nAUTH\r\n$%zu\r\n%s\r\n*1\r\n$4\r\nPING\r\n",
                     strlen(password), password);
    else
        n = snprintf(buf, size, "*1\r\n$4\r\nPING\r\n");
    if (n < 0 || (size_t)n >= size)
        return -1;
    return n;
}

/* Read from fd into buf (size bytes, NUL-terminated) until it holds
 * `lines` CRLF-terminated lines. Returns 0, or -1 on EOF or error first. */
static int hc_read_lines(int fd, char *buf, size_t size, int lines)
{
    size_t used = 0;
    int seen = 0;

    buf[0] = '\0';
    while (seen < lines) {
        ssize_t n;

        if (used + 1 >= size)
            return -1;
        n = read(fd, buf + used, size - used - 1);
        if (n <= 0)
            return -1;
        used += (size_t)n;
        buf[used] = '\0';
        seen = 0;
        for (const char *p = buf; (p = strstr(p, "\r\n")) != NULL; p += 2)
            seen++;
    }
    return 0;
}

/* Send the request, check the replies. Returns 0 when healthy, 1 if not. */
static int hc_probe(int port, const char *password)
{
    char req[HC_BUF], reply[HC_BUF];
    const char *want = password != NULL ? "+OK\r\n+PONG\r\n" : "+PONG\r\n";
    int fd, len, rc = 1;

    len = hc_request(req, sizeof(req), password);
    if (len < 0)
        return 1;
    fd = hc_connect(port);
    if (fd < 0)
        return 1;
    if (hc_write_all(fd, req, (size_t)len) == 0 &&
        hc_read_lines(fd, reply, sizeof(reply), password ? 2 : 1) == 0 &&
        strcmp(reply, want) == 0)
        rc = 0;
    close(fd);
    return rc;
}

/* Entry point: 0 when gencached answers +PONG, 1 otherwise. */
int main(int argc, char **argv)
{
    const char *pw = getenv("REDISCLI_AUTH");
    const char *p = argc > 1 ? argv[1] : getenv("GENCACHE_PORT");
    int port = p != NULL ? hc_parse_port(p) : 6379;

    if (port < 0) {
        fprintf(stderr, "gencache-healthcheck: bad port '%s'\n", p);
        return 1;
    }
    if (pw != NULL && *pw == '\0')
        pw = NULL;
    signal(SIGALRM, hc_on_alarm);
    signal(SIGPIPE, SIG_IGN);
    alarm(HC_TIMEOUT_S);
    if (hc_probe(port, pw) != 0) {
        fprintf(stderr, "gencache-healthcheck: no +PONG from port %d\n", port);
        return 1;
    }
    return 0;
}
