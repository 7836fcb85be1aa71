/* The run backends' table (harness/backend), the words forwarded into the VM (harness/vmrun),
 * the JUnit file of a run that cannot start (rpt_junit_error), and `usbsim run` ended by a
 * signal: exit 128+signal and no invented failure. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/backend.h"
#include "harness/cli.h"
#include "harness/report.h"
#include "harness/vmrun.h"
#include "tests/cu.h"

static char *slurp(const char *path)
{
    static char buf[65536];
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    return buf;
}

static void test_table(void)
{
    const struct be_backend *d = be_find(NULL), *k = be_find("kernel"), *v = be_find("vm");
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_PTR_NOT_NULL_FATAL(k);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_PTR_EQUAL(be_find("usbip"), d);
    CU_ASSERT_PTR_NULL(be_find("carrier-pigeon"));
    CU_ASSERT_STRING_EQUAL(be_names(), "usbip, kernel, attach or vm");
    CU_ASSERT_TRUE(be_is_local(d) && be_is_local(k));
    CU_ASSERT_FALSE(be_is_local(v));
    CU_ASSERT_PTR_NOT_NULL(v->inner);
    CU_ASSERT_TRUE(be_is_local(be_find(v->inner))); /* what runs inside the VM runs there */
    for (const struct be_backend *b = d; b; b = b == d ? k : b == k ? v : NULL) {
        CU_ASSERT_TRUE(b->summary && *b->summary && !strchr(b->summary, '\n'));
        CU_ASSERT_PTR_NOT_NULL(b->check);
        CU_ASSERT_PTR_NOT_NULL(b->run);
    }
    char why[256] = "";
    CU_ASSERT_EQUAL(d->check(d, NULL, why, sizeof why), 0);
    /* the names a command offers for --backend are the table's, in its order, default first */
    size_t n = 0;
    for (; be_name_list[n]; n++)
        CU_ASSERT_PTR_NOT_NULL(be_find(be_name_list[n]));
    CU_ASSERT_EQUAL(n, 4);
    CU_ASSERT_PTR_EQUAL(be_find(be_name_list[0]), d);
}

static void test_refused_options(void)
{
    const struct be_backend *d = be_find("usbip"), *k = be_find("kernel"), *v = be_find("vm");
    CU_ASSERT_STRING_EQUAL(be_refused(d, BE_OPT_UDC), "--udc");
    CU_ASSERT_PTR_NULL(be_refused(d, BE_OPT_PCAP | BE_OPT_HTML | BE_OPT_KEEP_LOGS));
    CU_ASSERT_PTR_NULL(be_refused(k, BE_OPT_UDC | BE_OPT_HTML | BE_OPT_KEEP_LOGS));
    CU_ASSERT_STRING_EQUAL(be_refused(k, BE_OPT_PCAP), "--pcap");
    CU_ASSERT_PTR_NULL(be_refused(v, BE_OPT_KEEP_LOGS)); /* the logs come back */
    CU_ASSERT_STRING_EQUAL(be_refused(v, BE_OPT_HTML | BE_OPT_PCAP), "--pcap");
    CU_ASSERT_PTR_NULL(be_refused(v, BE_OPT_UDC | BE_OPT_HTML));
    /* the user's program: --app on the ring (usbip, kernel), --exec on a USB stack */
    const struct be_backend *a = be_find("attach");
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_TRUE(be_is_local(a) && a->setup.attach);
    CU_ASSERT_PTR_NULL(be_refused(d, BE_OPT_APP));
    CU_ASSERT_STRING_EQUAL(be_refused(d, BE_OPT_EXEC), "--exec");
    CU_ASSERT_PTR_NULL(be_refused(k, BE_OPT_APP | BE_OPT_EXEC));
    CU_ASSERT_PTR_NULL(be_refused(v, BE_OPT_EXEC));
    CU_ASSERT_STRING_EQUAL(be_refused(v, BE_OPT_APP), "--app");
    CU_ASSERT_STRING_EQUAL(be_refused(a, BE_OPT_APP), "--app");
}

static void test_vm_words(void)
{
    char *words[] = {"--seed", "5", "--backend", "vm", "--json=/x/r.json", "--ht", "/tmp/a/r.html",
                     "-q", "--time-scale=2", "--junit", "j.xml", "--", "--pcap=p/c.pcap",
                     "--some-new-option", "v"};
    static const char *const dropped[] = {"backend", "json", "junit", NULL};
    static const char *const outputs[] = {"html", "pcap", NULL};
    struct vmr_outputs paths;
    size_t n = 0;
    char **out = vmr_words(words, sizeof words / sizeof words[0], dropped, outputs, &paths, &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    const char *want[] = {"--seed", "5", "--html", "/out/o0.r.html", "-q", "--time-scale=2",
                          "--pcap", "/out/o1.c.pcap", "--some-new-option", "v"};
    CU_ASSERT_EQUAL_FATAL(n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < n; i++)
        CU_ASSERT_STRING_EQUAL(out[i], want[i]);
    CU_ASSERT_STRING_EQUAL(paths.host[0], "/tmp/a/r.html");
    CU_ASSERT_STRING_EQUAL(paths.host[1], "p/c.pcap");
    free(out);
}

static void test_bring_back(void)
{
    char from[] = "/tmp/usbsim-be-XXXXXX", to[] = "/tmp/usbsim-be-XXXXXX", path[128], host[128];
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(from));
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(to));
    snprintf(path, sizeof path, "%s/o0.r-steady.html", from);
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("<html>steady</html>\n", f);
    fclose(f);
    struct vmr_outputs paths = {.host = {NULL}};
    snprintf(host, sizeof host, "%s/r.html", to);
    paths.host[0] = host;
    CU_ASSERT_EQUAL(vmr_bring_back(&paths, from), 0);
    snprintf(path, sizeof path, "%s/r-steady.html", to);
    CU_ASSERT_STRING_EQUAL(slurp(path), "<html>steady</html>\n");
    unlink(path);
    snprintf(path, sizeof path, "%s/o0.r-steady.html", from);
    unlink(path);
    rmdir(from);
    rmdir(to);
}

static void test_junit_error(void)
{
    char path[] = "/tmp/usbsim-junit-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_TRUE_FATAL(fd >= 0);
    close(fd);
    char err[RPT_ERR_MAX];
    const char *why = "needs <root> & \"configfs\"";
    CU_ASSERT_EQUAL(rpt_junit_error(path, "a&b.yaml", 3, why, err), 0);
    const char *x = slurp(path);
    CU_ASSERT_PTR_NOT_NULL(strstr(x, "errors=\"1\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(x, "name=\"a&amp;b.yaml\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(x, "<error message=\"needs &lt;root&gt; &amp; "
                                     "&quot;configfs&quot;\" type=\"environment\">"));
    unlink(path);
}

/* `usbsim run` in a child, its stdout and stderr to /dev/null; returns its pid. */
static pid_t run_child(char **argv, int argc)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        freopen("/dev/null", "w", stdout);
        freopen("/dev/null", "w", stderr);
        _exit(cli_main(argc, argv));
    }
    return pid;
}

static int exit_code(pid_t pid)
{
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void test_refused_option_writes_junit(void)
{
    char path[] = "/tmp/usbsim-junit-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_TRUE_FATAL(fd >= 0);
    close(fd);
    char *argv[] = {"usbsim", "run", "--backend", "vm", "--pcap", "x.pcap", "--junit", path,
                    "scenarios/steady.yaml"};
    CU_ASSERT_EQUAL(exit_code(run_child(argv, 9)), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(slurp(path), "the vm backend does not take --pcap"));
    char *bad[] = {"usbsim", "run", "--junit", path, "no-such-file.yaml"};
    CU_ASSERT_EQUAL(exit_code(run_child(bad, 5)), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(slurp(path), "no-such-file.yaml"));
    CU_ASSERT_PTR_NOT_NULL(strstr(slurp(path), "type=\"usage\""));
    unlink(path);
}

/* Does pid have a child yet (the run's first process: its signal handlers are in place)? */
static int has_child(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)pid);
    const char *s = slurp(path);
    return *s >= '0' && *s <= '9';
}

static void interrupted_run(int sig)
{
    char dir[] = "/tmp/usbsim-sig-XXXXXX", yaml[64], json[64];
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    snprintf(yaml, sizeof yaml, "%s/long.yaml", dir);
    snprintf(json, sizeof json, "%s/r.json", dir);
    FILE *f = fopen(yaml, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("name: long\nduration_ms: 30000\n", f);
    fclose(f);
    char *argv[] = {"usbsim", "run", "--json", json, yaml};
    pid_t pid = run_child(argv, 5);
    for (int i = 0; i < 6000 && !has_child(pid); i++) /* bounded: 60 s */
        usleep(10000);
    CU_ASSERT_TRUE(has_child(pid));
    kill(pid, sig);
    CU_ASSERT_EQUAL(exit_code(pid), 128 + sig);
    const char *r = slurp(json);
    CU_ASSERT_PTR_NOT_NULL(strstr(r, "\"failed\": 0"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r, "\"scenarios\": []"));
    unlink(json);
    unlink(yaml);
    rmdir(dir);
}

static void test_sigint_is_130(void)
{
    interrupted_run(SIGINT);
}

static void test_sigterm_is_143(void)
{
    interrupted_run(SIGTERM);
}

static CU_TestInfo tests[] = {
    {"one table: usbip (default), kernel, vm", test_table},
    {"each backend refuses what it cannot honour", test_refused_options},
    {"words into the VM: the user's own, minus the host's, outputs rewritten", test_vm_words},
    {"outputs come back beside the user's path", test_bring_back},
    {"a JUnit file for a run that cannot start", test_junit_error},
    {"run: a refused option or a bad scenario still writes --junit",
     test_refused_option_writes_junit},
    {"run ended by SIGINT: exit 130, nothing invented", test_sigint_is_130},
    {"run ended by SIGTERM: exit 143, nothing invented", test_sigterm_is_143},
    CU_TEST_INFO_NULL,
};

int main(void)
{
    return cu_main("backend", tests);
}
