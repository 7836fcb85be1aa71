/* status — the one status code of libusbsim-ring, and its message.
 *
 * Contract: every function of the library that can fail returns an enum usbsim_status (or a count
 * >= 0 on success, where its header says so); negative values are errors. USBSIM_STATUS_MAP is the
 * one table: the enum and usbsim_strerror() are both generated from it, so a code cannot exist
 * without its message. usbsim_strerror() never returns NULL (an unknown value gives "unknown
 * status"). The values are part of the ABI: they never change meaning; new ones get new numbers.
 * Prefix: usbsim_ / USBSIM_.
 */
#ifndef USBSIM_DRIVER_STATUS_H
#define USBSIM_DRIVER_STATUS_H

/* X(NAME, value, message) */
#define USBSIM_STATUS_MAP(X)                                                                       \
    X(OK, 0, "success")                                                                            \
    X(DROPPED, 1, "packet dropped by the ring's overflow policy (counted)")                        \
    X(EINVAL, -1, "invalid argument")                                                              \
    X(ESYS, -2, "system call failed")                                                              \
    X(EMAGIC, -3, "shared ring: wrong magic")                                                      \
    X(EVERSION, -4, "shared ring: unknown layout version")                                         \
    X(EGEOMETRY, -5, "shared ring: geometry inconsistent or larger than the memory object")        \
    X(EINDEX, -6, "shared ring: index out of range")                                               \
    X(ESLOT, -7, "shared ring: slot length or position invalid")                                   \
    X(ESTOPPED, -8, "stopped")                                                                     \
    X(ETIMEDOUT, -9, "timed out")                                                                  \
    X(EROLE, -10, "producer call on a consumer handle, or the reverse")                           \
    X(EWATCH, -11, "the watched descriptor became readable or hung up")                           \
    X(ECLOSED, -12, "the producer closed the ring and every packet was read")                     \
    X(EPEER, -13, "the peer closed the connection or died")                                        \
    X(ECRED, -14, "the peer runs as another user")                                                 \
    X(EPROTO, -15, "bad hello message or missing descriptors")                                     \
    X(EEMPTY, -16, "queue empty (underrun)")                                                       \
    X(EFULL, -17, "queue full (overrun): retry when serviced")

enum usbsim_status {
#define USBSIM_STATUS_ENUM(name, value, msg) USBSIM_##name = (value),
    USBSIM_STATUS_MAP(USBSIM_STATUS_ENUM)
#undef USBSIM_STATUS_ENUM
};

/* The message of a status, e.g. usbsim_strerror(USBSIM_EPEER). Never NULL. */
const char *usbsim_strerror(int status);

#endif
