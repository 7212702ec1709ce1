/*
 * net.c - the socket seam: TCP listeners for every `bind` address and a
 * unix socket listener, each handing accepted connections to client.c.
 *
 * Bind addresses follow Redis 7.0: a space separated list, "*" meaning
 * every IPv4 address and "::*" every IPv6 one, a leading "-" marking an
 * address as optional (skipped, with a log line, when the machine cannot
 * bind it: no such address, no IPv6). IPv6 listeners are IPv6-only so "*"
 * and "::*" can share a port.
 *
 * Executor thread only.
 */
#include "server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

/* Most bind addresses honoured (Redis's CONFIG_BINDADDR_MAX). */
#define MAX_LISTENERS 16

/* TCP listeners are allocated one by one: a closed handle is freed by
 * its close callback, as uv_close finishes later while a new set of
 * listeners (CONFIG SET port/bind) may already serve. */
static uv_tcp_t *tcp_listeners[MAX_LISTENERS];
static int ntcp;
static uv_pipe_t unix_listener;
static int unix_open;

/* Format sa as "ip:port" or "[ip6]:port" into buf. */
void srv_format_addr(char *buf, size_t size, const struct sockaddr *sa)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;

    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

        uv_ip4_name(s4, ip, sizeof(ip));
        port = ntohs(s4->sin_port);
        snprintf(buf, size, "%s:%d", ip, port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

        uv_ip6_name(s6, ip, sizeof(ip));
        port = ntohs(s6->sin6_port);
        snprintf(buf, size, "[%s]:%d", ip, port);
    } else {
        snprintf(buf, size, "?:0");
    }
}

/* A listener has a connection waiting. */
static void on_connection(uv_stream_t *server, int status)
{
    if (status < 0) {
        srv_log(SRV_LOG_WARNING, "Accepting client connection: %s",
                uv_strerror(status));
        return;
    }
    srv_client_accept(server, server->type == UV_NAMED_PIPE);
}

/* True for the errors an optional ("-") bind address may ignore. */
static int bind_error_optional(int err)
{
    return err == UV_EADDRNOTAVAIL || err == UV_EAFNOSUPPORT ||
           err == UV_EPROTONOSUPPORT || err == UV_ENOTSUP ||
           err == UV_EINVAL;
}

/* Resolve a bind word ("*", "::*", an IPv4 or IPv6 literal) with the port
 * into ss. 0 / libuv error. */
static int bind_addr(const char *word, struct sockaddr_storage *ss)
{
    int port = srv.cfg.port;

    if (strcmp(word, "*") == 0)
        word = "0.0.0.0";
    else if (strcmp(word, "::*") == 0)
        word = "::";
    if (strchr(word, ':'))
        return uv_ip6_addr(word, port, (struct sockaddr_in6 *)ss);
    return uv_ip4_addr(word, port, (struct sockaddr_in *)ss);
}

/* Close callback of a TCP listener: frees its handle. */
static void free_closed_listener(uv_handle_t *h)
{
    free(h);
}

/* Open one TCP listener for word. 0, 1 when an optional address was
 * skipped, or a negative libuv error (logged). */
static int listen_tcp(const char *word)
{
    int optional = word[0] == '-';
    struct sockaddr_storage ss;
    uv_tcp_t *l = malloc(sizeof(*l));
    unsigned flags;
    int rc;

    if (l == NULL)
        return UV_ENOMEM;
    if (optional)
        word++;
    memset(&ss, 0, sizeof(ss));
    rc = bind_addr(word, &ss);
    if (rc < 0) {
        free(l);
        goto fail;
    }
    flags = ss.ss_family == AF_INET6 ? UV_TCP_IPV6ONLY : 0;
    rc = uv_tcp_init_ex(srv.loop, l, ss.ss_family);
    if (rc < 0) {
        free(l);
        goto fail;
    }
    l->data = NULL;
    rc = uv_tcp_bind(l, (struct sockaddr *)&ss, flags);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)l, srv.cfg.tcp_backlog, on_connection);
    if (rc < 0) {
        uv_close((uv_handle_t *)l, free_closed_listener);
        goto fail;
    }
    tcp_listeners[ntcp++] = l;
    return 0;
fail:
    if (optional && bind_error_optional(rc)) {
        srv_log(SRV_LOG_NOTICE, "Skipping optional bind address %s: %s",
                word, uv_strerror(rc));
        return 1;
    }
    srv_log(SRV_LOG_WARNING, "Warning: Could not create server TCP "
                             "listening socket %s:%d: %s",
            word, srv.cfg.port, uv_strerror(rc));
    return rc;
}

/* Open every TCP listener of cfg.bind. 0 / negative libuv error. */
static int listen_tcp_all(void)
{
    char *copy, *word, *save = NULL;
    int rc = 0;

    if (srv.cfg.port == 0)
        return 0;
    copy = strdup(srv.cfg.bind && srv.cfg.bind[0] ? srv.cfg.bind
                                                   : "* -::*");
    if (!copy)
        return UV_ENOMEM;
    for (word = strtok_r(copy, " ", &save); word;
         word = strtok_r(NULL, " ", &save)) {
        if (ntcp == MAX_LISTENERS) {
            srv_log(SRV_LOG_WARNING, "Too many bind addresses specified.");
            rc = UV_EINVAL;
            break;
        }
        rc = listen_tcp(word);
        if (rc < 0)
            break;
        rc = 0;
    }
    free(copy);
    if (rc == 0 && ntcp == 0) {
        srv_log(SRV_LOG_WARNING, "No bind address could be used.");
        rc = UV_EADDRNOTAVAIL;
    }
    if (rc < 0)
        srv_log(SRV_LOG_WARNING, "Failed listening on port %u (TCP), "
                                 "aborting.",
                (unsigned)srv.cfg.port);
    return rc;
}

/* Open the unix socket listener when configured. 0 / libuv error. */
static int listen_unix(void)
{
    const char *path = srv.cfg.unixsocket;
    int rc;

    if (!path || !path[0])
        return 0;
    unlink(path);
    rc = uv_pipe_init(srv.loop, &unix_listener, 0);
    if (rc < 0)
        return rc;
    rc = uv_pipe_bind(&unix_listener, path);
    if (rc == 0 && srv.cfg.unixsocketperm)
        rc = chmod(path, (mode_t)srv.cfg.unixsocketperm) < 0 ? -errno : 0;
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&unix_listener, srv.cfg.tcp_backlog,
                       on_connection);
    if (rc < 0) {
        uv_close((uv_handle_t *)&unix_listener, NULL);
        srv_log(SRV_LOG_WARNING, "Failed opening Unix socket: %s",
                uv_strerror(rc));
        return rc;
    }
    unix_open = 1;
    return 0;
}

/* Open every listener the config asks for. 0 / negative libuv error. */
int srv_net_listen(void)
{
    int rc = listen_tcp_all();

    if (rc == 0)
        rc = listen_unix();
    if (rc == 0 && ntcp == 0 && !unix_open) {
        srv_log(SRV_LOG_WARNING, "Configured to not listen anywhere, "
                                 "exiting.");
        rc = UV_EINVAL;
    }
    return rc;
}

/* Close the n TCP listeners of set (their handles free themselves). */
static void close_tcp_set(uv_tcp_t **set, int n)
{
    for (int i = 0; i < n; i++)
        uv_close((uv_handle_t *)set[i], free_closed_listener);
}

/* Contract in server.h. */
int srv_net_rebind_tcp(int close_first)
{
    uv_tcp_t *old[MAX_LISTENERS];
    int nold = ntcp, rc;

    memcpy(old, tcp_listeners, sizeof(old));
    if (close_first) {
        close_tcp_set(old, nold);
        nold = 0;
    }
    ntcp = 0;
    rc = listen_tcp_all();
    if (rc < 0) {
        close_tcp_set(tcp_listeners, ntcp);
        memcpy(tcp_listeners, old, sizeof(old));
        ntcp = nold;
        return rc;
    }
    close_tcp_set(old, nold);
    return 0;
}

/* Close every listener (shutdown); the unix socket file is removed. */
void srv_net_close_listeners(void)
{
    close_tcp_set(tcp_listeners, ntcp);
    ntcp = 0;
    if (unix_open) {
        uv_close((uv_handle_t *)&unix_listener, NULL);
        if (srv.cfg.unixsocket)
            unlink(srv.cfg.unixsocket);
        unix_open = 0;
    }
}
