/* trace_writer — reads the usbsim device (1209:0001, IN endpoint 0x81) through libusb and
 * writes the trace `usbsim verify` checks: "seq,recv_ns,bytes_hex", one line per packet.
 *   cc -o trace_writer trace_writer.c $(pkg-config --cflags --libs libusb-1.0)
 *   ./trace_writer > trace.csv      (ends when the device has sent nothing for 3 s or is gone)
 *   usbsim verify --scenario steady.yaml --trace trace.csv */
#include <libusb.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

int main(void)
{
    libusb_context *ctx;
    libusb_device_handle *h = NULL;
    if (libusb_init(&ctx) != 0 || !(h = libusb_open_device_with_vid_pid(ctx, 0x1209, 0x0001))) {
        fprintf(stderr, "trace_writer: no 1209:0001 device (attach it with usbip first)\n");
        return 1;
    }
    libusb_set_auto_detach_kernel_driver(h, 1);
    if (libusb_set_configuration(h, 1) != 0 || libusb_claim_interface(h, 0) != 0) {
        fprintf(stderr, "trace_writer: cannot claim the device's interface\n");
        return 1;
    }
    printf("seq,recv_ns,bytes_hex\n");
    unsigned char buf[1024];
    int n, rc;
    while ((rc = libusb_bulk_transfer(h, 0x81, buf, sizeof buf, &n, 3000)) == 0 ||
           rc == LIBUSB_ERROR_PIPE) {
        if (rc == LIBUSB_ERROR_PIPE) { /* the endpoint halted: clear it and go on */
            libusb_clear_halt(h, 0x81);
            continue;
        }
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint32_t seq = (uint32_t)buf[4] | (uint32_t)buf[5] << 8 | (uint32_t)buf[6] << 16 |
                       (uint32_t)buf[7] << 24;
        printf("%u,%lld,", seq, (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
        for (int i = 0; i < n; i++)
            printf("%02x", buf[i]);
        putchar('\n');
    }
    libusb_release_interface(h, 0);
    libusb_close(h);
    libusb_exit(ctx);
    return 0;
}
