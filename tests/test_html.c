/* Tests of harness/html on synthetic records: the page is well formed enough, carries the
 * verdict, the failures, the event markers and the losses, references nothing outside itself,
 * escapes what it quotes, and stays small for long runs.
 * With USBSIM_HTML_OUT=FILE set, the failing page is also written there (for a renderer). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/html.h"
#include "sim/packet.h"
#include "tests/cu.h"

#define MS 1000000LL

static char dir[64], file[128];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/usbsim-html-XXXXXX");
    CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
    snprintf(file, sizeof file, "%s/page.html", dir);
}

static void remove_dir(void)
{
    unlink(file);
    rmdir(dir);
}

/* A scenario with one event of every kind and a consumer stall. */
static void scenario(struct scn_scenario *sc, const char *name, int64_t duration_ms)
{
    scn_defaults(sc);
    snprintf(sc->name, sizeof sc->name, "%s", name);
    sc->duration_ns = duration_ms * MS;
    sc->transport.ring_slots = 16;
    struct scn_dev_event ev[] = {
        {.kind = SCN_EV_STALL, .at_ns = 500 * MS, .dur_ns = 100 * MS, .mode = SCN_STALL_HOLD},
        {.kind = SCN_EV_BURST, .at_ns = 800 * MS, .count = 5},
        {.kind = SCN_EV_HALT, .at_ns = 1200 * MS, .dur_ns = 50 * MS},
        {.kind = SCN_EV_DISCONNECT, .at_ns = 1500 * MS, .dur_ns = 200 * MS},
        {.kind = SCN_EV_CORRUPT, .at_ns = 2500 * MS, .count = 1},
    };
    memcpy(sc->device.events, ev, sizeof ev);
    sc->device.n_events = sizeof ev / sizeof ev[0];
    sc->consumer.events[0] = (struct scn_con_event){.at_ns = 3000 * MS, .dur_ns = 400 * MS};
    sc->consumer.n_events = 1;
    sc->expect.has_lost_max = true;
    sc->expect.lost_max = 0;
    sc->expect.has_backlog_max = true;
    sc->expect.backlog_max = 12;
}

/* n samples every 10 ms; every one delivered 1 ms later except `missing` (lost unexplained)
 * and those inside the consumer stall, received at its end. */
static void records(struct rec_run *r, size_t n, long missing)
{
    rec_init(r);
    int64_t t0 = 1000000000LL;
    r->start_ns = t0;
    r->backend = "usbip";
    r->device = calloc(n, sizeof *r->device);
    r->app = calloc(n, sizeof *r->app);
    CU_ASSERT_FATAL(r->device && r->app);
    for (size_t i = 0; i < n; i++) {
        int64_t due = t0 + (int64_t)i * 10 * MS;
        r->device[r->n_device++] = (struct rec_device_row){.seq = (uint32_t)i, .fate = REC_SENT,
                                                           .due_ns = due, .produce_ns = due};
        if ((long)i == missing)
            continue;
        int64_t in = due + MS / 2, recv = due + MS;
        if (recv > t0 + 3000 * MS && recv < t0 + 3400 * MS)
            recv = t0 + 3400 * MS + (int64_t)i * 1000;
        r->app[r->n_app++] = (struct rec_app_row){.seq = (uint32_t)i, .batch = i,
                                                  .recv_ns = recv, .produce_ns = due,
                                                  .ingress_ns = in};
    }
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    if (b)
        b[n] = 0;
    fclose(f);
    *len = (size_t)n;
    return b;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* No reference to anything outside the page: the SVG namespace is the only URL. */
static int self_contained(const char *page)
{
    const char *ns = "http://www.w3.org/2000/svg";
    size_t http = count(page, "http"), svgns = count(page, ns);
    return http == svgns && !strstr(page, "<script") && !strstr(page, "src=") &&
           !strstr(page, "url(") && !strstr(page, "@import") && !strstr(page, "<link");
}

static char *write_page(const struct scn_scenario *sc, const struct rec_run *r,
                        struct vfy_result *res, size_t *len)
{
    char err[HTML_ERR_MAX];
    vfy_check(sc, r, res);
    CU_ASSERT_FATAL(html_write(file, sc, r, res, err) == 0);
    return slurp(file, len);
}

static void test_failing_page(void)
{
    make_dir();
    struct scn_scenario sc;
    scenario(&sc, "stall <b>&amp;</b>", 4000);
    struct rec_run r;
    records(&r, 400, 150);
    struct vfy_result res;
    size_t len;
    char *page = write_page(&sc, &r, &res, &len);
    CU_ASSERT_FATAL(page != NULL);
    CU_ASSERT(!res.pass);
    CU_ASSERT(strstr(page, "<!DOCTYPE html>") == page);
    CU_ASSERT(strstr(page, "</html>") != NULL);
    CU_ASSERT(strstr(page, ">FAIL<") != NULL);
    CU_ASSERT(strstr(page, "class=\"failures\"") != NULL);
    CU_ASSERT(strstr(page, "missing: seq 150") != NULL); /* the failure, quoted */
    CU_ASSERT(strstr(page, "<span>stream 0x81 · backend usbip") != NULL); /* the stream judged */
    CU_ASSERT(count(page, "<svg") == count(page, "</svg>"));
    CU_ASSERT(count(page, "<svg") >= 5);
    CU_ASSERT(count(page, "<figure") == count(page, "</figure>"));
    CU_ASSERT(count(page, "<section") == count(page, "</section>"));
    const char *marks[] = {"ev-hold", "ev-burst", "ev-halt", "ev-disc", "ev-corrupt", "ev-cons",
                           "loss-unexpl", "fig bad", "viewBox", "@media print",
                           "@media (max-width"};
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++)
        CU_ASSERT(strstr(page, marks[i]) != NULL);
    /* the lost packet, marked at its due time (1.5 s of 4 s along the axis) */
    CU_ASSERT(strstr(page, "lost (unexplained) near 1.50 s") != NULL);
    CU_ASSERT(self_contained(page));
    CU_ASSERT(strstr(page, "stall &lt;b&gt;&amp;amp;&lt;/b&gt;") != NULL);
    /* losses as the verifier placed them: exactly one mark, the unexplained one */
    CU_ASSERT_EQUAL(count(page, "lost (unexplained) near"), 1);
    CU_ASSERT_EQUAL(count(page, "lost (device) near") + count(page, "lost (ring) near") +
                        count(page, "lost (crc) near"), 0);
    CU_ASSERT(strstr(page, "<b>&amp;</b>") == NULL);
    const char *keep = getenv("USBSIM_HTML_OUT");
    if (keep) {
        char err[HTML_ERR_MAX];
        CU_ASSERT(html_write(keep, &sc, &r, &res, err) == 0);
    }
    free(page);
    vfy_free(&res);
    rec_free(&r);
    remove_dir();
}

static void test_passing_page_and_no_records(void)
{
    make_dir();
    struct scn_scenario sc;
    scenario(&sc, "steady", 1000);
    sc.device.n_events = sc.consumer.n_events = 0;
    sc.expect.has_backlog_max = false;
    struct rec_run r;
    records(&r, 100, -1);
    struct vfy_result res;
    size_t len;
    char *page = write_page(&sc, &r, &res, &len);
    CU_ASSERT_FATAL(page != NULL);
    CU_ASSERT(res.pass);
    CU_ASSERT(strstr(page, ">PASS<") != NULL && strstr(page, ">FAIL<") == NULL);
    CU_ASSERT(strstr(page, "class=\"failures\"") == NULL);
    CU_ASSERT(strstr(page, "fig bad") == NULL);
    CU_ASSERT(strstr(page, "<rect class=\"ev-") == NULL);
    free(page);
    /* no records at all: the verdict and the figures, no chart */
    char err[HTML_ERR_MAX];
    vfy_add_failure(&res, VFY_KIND_PROCESS_CRASH, "device killed by signal 9");
    CU_ASSERT_FATAL(html_write(file, &sc, NULL, &res, err) == 0);
    page = slurp(file, &len);
    CU_ASSERT_FATAL(page != NULL);
    CU_ASSERT(strstr(page, ">FAIL<") && strstr(page, "device killed by signal 9"));
    CU_ASSERT(strstr(page, "<svg") == NULL && self_contained(page));
    free(page);
    vfy_free(&res);
    rec_free(&r);
    remove_dir();
}

/* A result read back from JSON has no per-packet losses: the page has no loss marks, the rest
 * stays (the figures still count the loss). */
static void test_result_without_lost_list(void)
{
    make_dir();
    struct scn_scenario sc;
    scenario(&sc, "from-json", 4000);
    struct rec_run r;
    records(&r, 400, 150);
    struct vfy_result res;
    size_t len;
    vfy_check(&sc, &r, &res);
    CU_ASSERT_EQUAL(res.n_lost, 1);
    free(res.lost);
    res.lost = NULL;
    res.n_lost = 0;
    char err[HTML_ERR_MAX];
    CU_ASSERT_FATAL(html_write(file, &sc, &r, &res, err) == 0);
    char *page = slurp(file, &len);
    CU_ASSERT_FATAL(page != NULL);
    CU_ASSERT(strstr(page, "lost (") == NULL);
    CU_ASSERT(strstr(page, "missing: seq 150") != NULL);
    CU_ASSERT(count(page, "<svg") >= 5 && count(page, "<svg") == count(page, "</svg>"));
    free(page);
    vfy_free(&res);
    rec_free(&r);
    remove_dir();
}

static void test_long_run_stays_small(void)
{
    make_dir();
    struct scn_scenario sc;
    scenario(&sc, "long", 2000000); /* 2000 s: 200 000 packets */
    struct rec_run r;
    records(&r, 200000, 123456);
    struct vfy_result res;
    size_t len;
    char *page = write_page(&sc, &r, &res, &len);
    CU_ASSERT_FATAL(page != NULL);
    CU_ASSERT(len < 1000 * 1000);
    /* every series is bucketed: no path holds more than 2 points per bucket */
    for (const char *p = strstr(page, " d=\""); p; p = strstr(p + 1, " d=\"")) {
        const char *end = strchr(p + 4, '"');
        size_t moves = 0;
        for (const char *q = p + 4; q < end; q++)
            moves += *q == 'M';
        CU_ASSERT(moves <= HTML_MAX_BUCKETS);
    }
    CU_ASSERT(count(page, "<svg") == count(page, "</svg>"));
    free(page);
    vfy_free(&res);
    rec_free(&r);
    remove_dir();
}

static void test_errors_and_paths(void)
{
    struct scn_scenario sc;
    scenario(&sc, "x", 1000);
    struct vfy_result res;
    vfy_init(&res, &sc, "usbip");
    char err[HTML_ERR_MAX] = "";
    CU_ASSERT(html_write("/nonexistent-dir/p.html", &sc, NULL, &res, err) == -1);
    CU_ASSERT(strstr(err, "/nonexistent-dir/p.html: ") == err);
    char out[64];
    CU_ASSERT(html_path_for("out.html", "steady", 1, out, sizeof out) == 0);
    CU_ASSERT_STRING_EQUAL(out, "out.html");
    CU_ASSERT(html_path_for("d.x/out.html", "steady", 2, out, sizeof out) == 0);
    CU_ASSERT_STRING_EQUAL(out, "d.x/out-steady.html");
    CU_ASSERT(html_path_for("d.x/out", "a", 3, out, sizeof out) == 0);
    CU_ASSERT_STRING_EQUAL(out, "d.x/out-a");
    CU_ASSERT(html_path_for("out.html", "a-very-long-scenario-name", 2, out, 16) == -1);
    vfy_free(&res);
}

static CU_TestInfo tests[] = {
    {"failing run: verdict, failures, events, losses", test_failing_page},
    {"passing run, and a run without records", test_passing_page_and_no_records},
    {"a result without per-packet losses (from JSON)", test_result_without_lost_list},
    {"a long run stays small", test_long_run_stays_small},
    {"write errors and per-scenario paths", test_errors_and_paths},
    CU_TEST_INFO_NULL,
};

int main(void) { return cu_main("html", tests); }
