/* usbmon_pcap — records Linux usbmon to a pcap file through libpcap, as dumpcap or tcpdump do
 * (link type USB_LINUX_MMAPPED, every byte of every transfer), for the VM tests: the capture of a
 * real USB stack that `usbsim import` reads.
 *
 *   usbmon_pcap IFACE FILE     e.g. usbmon_pcap usbmon0 /out/dev.pcap
 *
 * Captures until SIGINT or SIGTERM, then writes what it has and prints one line: the packets
 * written. Prints "ready" on stdout (flushed) once the capture is open, so a script can start
 * the device after it. Exit 0, 1 when the capture cannot be opened or written, 2 on bad usage.
 */
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static pcap_t *cap;

static void on_signal(int sig)
{
    (void)sig;
    if (cap)
        pcap_breakloop(cap);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: usbmon_pcap IFACE FILE\n");
        return 2;
    }
    char err[PCAP_ERRBUF_SIZE];
    cap = pcap_create(argv[1], err);
    if (!cap) {
        fprintf(stderr, "usbmon_pcap: %s: %s\n", argv[1], err);
        return 1;
    }
    pcap_set_snaplen(cap, 262144);
    pcap_set_timeout(cap, 100);
    pcap_set_buffer_size(cap, 8 << 20);
    int rc = pcap_activate(cap);
    if (rc < 0) {
        fprintf(stderr, "usbmon_pcap: %s: %s\n", argv[1], pcap_geterr(cap));
        return 1;
    }
    pcap_dumper_t *d = pcap_dump_open(cap, argv[2]);
    if (!d) {
        fprintf(stderr, "usbmon_pcap: %s: %s\n", argv[2], pcap_geterr(cap));
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    printf("ready\n");
    fflush(stdout);
    long n = 0;
    for (;;) {
        rc = pcap_dispatch(cap, -1, pcap_dump, (u_char *)d);
        if (rc < 0)
            break;
        n += rc;
    }
    int bad = rc == PCAP_ERROR;
    if (bad)
        fprintf(stderr, "usbmon_pcap: %s\n", pcap_geterr(cap));
    pcap_dump_close(d);
    pcap_close(cap);
    printf("usbmon_pcap: %ld packets written to %s\n", n, argv[2]);
    return bad ? 1 : 0;
}
