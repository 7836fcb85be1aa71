/* usbmon — what the host's USB stack completed on the emulated device's IN endpoint, seen with
 * Linux usbmon through libpcap, without touching the program that reads the device.
 *
 * Contract:
 *  - umon_capture() captures bus `busnum` (usbmonN: the usbmon module, root) until *stop is set,
 *    and writes every completed IN transfer on endpoint 0x81 that carries a device packet (the
 *    magic in bytes 0-3; zero-length packets and other endpoints are skipped) as a row of the
 *    driver log format (sim/logfmt.h): seq, completion time (CLOCK_MONOTONIC, converted from the
 *    capture's clock), status ok (completed to the program: whether the program rejects a
 *    corrupted one is its own business, judged from its trace). packet_size is unused (the
 *    header is read, not the CRC). Any device address on the bus (the device re-enumerates after a
 *    disconnect) but the root hub's (address 1: its status endpoint is 0x81 too); a transfer that
 *    completed with an error status delivered nothing and is skipped. It writes "ready\n" to ready_fd (when >= 0) once the capture is live, before
 *    which nothing is missed by the caller that waits for it.
 *  - Returns 0 on a clean stop, 3 when the capture cannot be opened (one line on stderr saying
 *    what is missing), 1 when the log cannot be written.
 *  - umon_capture_stream() is the same for the stream's endpoint ep and, with match (a raw
 *    stream: no header), every completed transfer of ep with data, captured whole, is identified
 *    by place and content (sim/rawmatch.h): a row with its seq, status ok; one it cannot identify
 *    (content the device never planned: corrupted) a row with seq -1, status crc (the program
 *    got it; it cannot be placed). umon_capture() is umon_capture_stream(0x81, no matcher).
 *  - umon_row() writes the row of one completed transfer's bytes d[0..len) at time t (the
 *    capture's logic, for tests): 0 (also when a framed transfer carries no device packet: no
 *    row), -1 when the log cannot be written.
 * Prefix: umon_.
 */
#ifndef USBSIM_HARNESS_USBMON_H
#define USBSIM_HARNESS_USBMON_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct rm;

int umon_capture(int busnum, size_t packet_size, const char *log_path, int ready_fd,
                 volatile sig_atomic_t *stop);
int umon_capture_stream(int busnum, size_t packet_size, uint8_t ep, struct rm *match,
                        const char *log_path, int ready_fd, volatile sig_atomic_t *stop);
int umon_row(FILE *log, struct rm *match, const uint8_t *d, size_t len, uint64_t t);

#endif
