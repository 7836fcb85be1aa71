/* usbip_peers — see usbip_peers.h. */
#include "sim/usbip_peers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BACKLOG 256

static int split_addr(const char *spec, char *host, size_t hcap, char *port, size_t pcap)
{
    const char *colon = strrchr(spec, ':');
    if (!colon || colon == spec || !colon[1] || strlen(colon + 1) >= pcap)
        return -1;
    const char *h = spec;
    size_t hl = (size_t)(colon - spec);
    if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']')
        h++, hl -= 2;
    if (hl == 0 || hl >= hcap)
        return -1;
    memcpy(host, h, hl);
    host[hl] = 0;
    strcpy(port, colon + 1);
    char *end;
    long p = strtol(port, &end, 10);
    return (*end || p < 0 || p > 65535) ? -1 : 0;
}

int upeer_listen(const char *spec, uint16_t *port_out, int *env_error, char *err, size_t errcap)
{
    char host[128], port[8];
    *env_error = 0;
    if (split_addr(spec, host, sizeof host, port, sizeof port) != 0) {
        snprintf(err, errcap, "bad listen address '%s'; expected ADDR:PORT", spec);
        return -1;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai;
    int g = getaddrinfo(host, port, &hints, &ai);
    if (g != 0) {
        snprintf(err, errcap, "cannot resolve '%s': %s", host, gai_strerror(g));
        return -1;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, BACKLOG) != 0) {
        int e = errno;
        *env_error = 1;
        snprintf(err, errcap, "cannot listen on %s: %s%s", spec, strerror(e),
                 e == EADDRINUSE ? " (another usbipd or usbsim gadget? choose --listen ADDR:PORT)"
                                 : "");
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    *port_out = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                               : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

int upeer_accept(int lfd, char *name, size_t namecap)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return -1;
    int one = 1, sndbuf = UPEER_SNDBUF;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (ss.ss_family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
        port = ntohs(a->sin_port);
    } else if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
        port = ntohs(a->sin6_port);
    }
    snprintf(name, namecap, "%s:%d", host, port);
    return fd;
}

int upeer_victim(const int64_t *since, const int *may_drop, int n)
{
    int v = -1;
    for (int i = 0; i < n; i++)
        if (may_drop[i] && (v < 0 || since[i] < since[v]))
            v = i;
    return v;
}

void upeer_note_input(struct upeer_clock *k, size_t pending, int progressed, int64_t now)
{
    if (progressed)
        k->greeted = 1;
    if (pending == 0)
        k->partial = 0;
    else if (progressed || !k->partial)
        k->partial = now;
}

void upeer_note_output(struct upeer_clock *k, size_t waiting, int sent, int64_t now)
{
    if (waiting == 0)
        k->blocked = 0;
    else if (sent || !k->blocked)
        k->blocked = now;
}

static double secs(int64_t ns) { return (double)ns / 1e9; }

int upeer_overdue(const struct upeer_clock *k, int64_t timeout, int64_t now, int64_t *next,
                  char *why, size_t cap)
{
    int64_t due = INT64_MAX;
    if (!k->greeted) {
        if (now - k->connected >= timeout) {
            snprintf(why, cap, "no complete request within %.1f s of connecting", secs(timeout));
            return 1;
        }
        due = k->connected + timeout;
    }
    if (k->partial) {
        if (now - k->partial >= timeout) {
            snprintf(why, cap, "request left incomplete for %.1f s", secs(now - k->partial));
            return 1;
        }
        due = k->partial + timeout < due ? k->partial + timeout : due;
    }
    if (k->blocked) {
        if (now - k->blocked >= timeout) {
            snprintf(why, cap, "has not read its replies for %.1f s", secs(now - k->blocked));
            return 1;
        }
        due = k->blocked + timeout < due ? k->blocked + timeout : due;
    }
    *next = due;
    return 0;
}
