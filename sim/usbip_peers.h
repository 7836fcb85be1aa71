/* usbip_peers — the USB/IP server's door: its listening socket, accepting peers, choosing which
 * peer gives up its slot to a newcomer, and how long a peer may take.
 *
 * Contract:
 *  - upeer_listen() binds and listens (non-blocking, close-on-exec) on "ADDR:PORT" or
 *    "[V6ADDR]:PORT" and returns the descriptor (port 0 = an ephemeral one, given back in *port);
 *    on failure -1, *env_error = 1 when the environment is at fault (address in use, no
 *    permission) or 0 for a bad address, and a message in err.
 *  - upeer_accept() takes one pending connection without blocking: the descriptor
 *    (non-blocking, close-on-exec, TCP_NODELAY, a bounded send buffer so that a peer that does
 *    not read is seen as such) and its "ADDR:PORT" name; -1 when none is pending.
 *  - upeer_victim(): which of n slots to free for a newcomer when all are taken: the oldest
 *    that may be dropped (the caller says which may: never the importer); -1 when none may.
 *  - A peer's clocks (struct upeer_clock, CLOCK_MONOTONIC ns) bound the time it has for each
 *    step: to complete its first request (OP_REQ_*) from the moment it connected, to complete a
 *    request it has begun, and to read the replies waiting for it. upeer_overdue() says whether
 *    one bound is spent and writes why (one line, no newline); it never blocks, never fails.
 * Nothing here keeps global state.
 * Prefix: upeer_.
 */
#ifndef USBSIM_SIM_USBIP_PEERS_H
#define USBSIM_SIM_USBIP_PEERS_H

#include <stddef.h>
#include <stdint.h>

#define UPEER_TIMEOUT_NS 2000000000LL  /* default bound on each step of a peer */
#define UPEER_SNDBUF (128 * 1024)      /* kernel send buffer of a peer's socket */

struct upeer_clock {
    int64_t connected; /* accepted at */
    int64_t partial;   /* since when its input holds a request it has begun; 0 = none */
    int64_t blocked;   /* since when output waits and none of it was taken; 0 = none waits */
    int greeted;       /* its first request was complete */
};

int upeer_listen(const char *spec, uint16_t *port, int *env_error, char *err, size_t errcap);
int upeer_accept(int lfd, char *name, size_t namecap);

/* may_drop[i] != 0: slot i may be dropped; since[i]: when its peer connected. */
int upeer_victim(const int64_t *since, const int *may_drop, int n);

/* After the peer's input was handled: `pending` bytes of a request are still incomplete and the
 * peer is the one who owes the rest (0 when the server holds complete requests back because the
 * peer does not read); `progressed` = at least one request was taken from it. */
void upeer_note_input(struct upeer_clock *k, size_t pending, int progressed, int64_t now);
/* After output changed: `waiting` bytes unsent; `sent` = some were just taken by the peer. */
void upeer_note_output(struct upeer_clock *k, size_t waiting, int sent, int64_t now);
/* 1 when a bound is spent (the reason in why), else 0 and *next = when to look again. */
int upeer_overdue(const struct upeer_clock *k, int64_t timeout, int64_t now, int64_t *next,
                  char *why, size_t cap);

#endif
