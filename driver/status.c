/* status — see status.h. */
#include "driver/status.h"

const char *usbsim_strerror(int status)
{
    switch (status) {
#define USBSIM_STATUS_CASE(name, value, msg)                                                       \
    case USBSIM_##name:                                                                            \
        return msg;
        USBSIM_STATUS_MAP(USBSIM_STATUS_CASE)
#undef USBSIM_STATUS_CASE
    }
    return "unknown status";
}
