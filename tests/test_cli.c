/* Tests for harness/cli: the command table is well formed, help and usage errors behave. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/cli.h"
#include "tests/cu.h"

/* Every option a command accepts, own and shared, and its sub-commands', checked by f. */
static void each_command(void (*f)(const struct cli_cmd *c, const char *full))
{
    for (size_t i = 0; cli_command(i); i++) {
        const struct cli_cmd *c = cli_command(i);
        f(c, c->name);
        for (size_t k = 0; k < c->nsubs; k++) {
            char full[128];
            snprintf(full, sizeof full, "%s %s", c->name, c->subs[k]->name);
            f(c->subs[k], full);
        }
    }
}

static void check_declaration(const struct cli_cmd *c, const char *full)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(c->name);
    CU_ASSERT(c->help && *c->help && c->help[strlen(c->help) - 1] == '\n');
    CU_ASSERT((c->run != NULL) != (c->nsubs > 0));
    CU_ASSERT(c->nopts <= CLI_OWN_MAX);
    CU_ASSERT((c->backends != NULL) == ((c->common & CLI_O(CLI_BACKEND)) != 0));
    CU_ASSERT(!c->backends || (c->shared_help && c->shared_help[CLI_BACKEND]));
    for (int k = 0; c->shared_help && k < CLI_COMMON_COUNT; k++)
        CU_ASSERT(!c->shared_help[k] || (c->common & CLI_O(k))); /* words only what it takes */
    CU_ASSERT(c->max_args < 0 || c->max_args >= c->min_args);
    CU_ASSERT(c->min_args == 0 || c->args);
    for (size_t i = 0; i < c->nopts; i++) {
        const struct arg_opt *o = &c->opts[i];
        CU_ASSERT(o->name && o->help && *o->help);
        CU_ASSERT(o->kind != ARG_ENUM || (o->values && o->values[0] && o->values[1]));
        for (size_t j = 0; j < i; j++)
            CU_ASSERT(strcmp(o->name, c->opts[j].name) != 0);
        /* an own option does not hide a shared one the command takes */
        static const char *const shared[CLI_COMMON_COUNT] = {
            "seed", "time-scale", "backend", "udc", "json", "junit", "html", "pcap",
            "keep-logs", "quiet", "verbose", "help"};
        for (int k = 0; k < CLI_COMMON_COUNT; k++)
            if (strcmp(o->name, shared[k]) == 0 && (c->common & CLI_O(k))) {
                printf("\n%s: --%s is both its own and shared\n", full, o->name);
                CU_FAIL("an own option hides a shared one");
            }
    }
}

static void test_table(void)
{
    size_t n = 0;
    while (cli_command(n))
        n++;
    CU_ASSERT(n >= 9);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            CU_ASSERT(strcmp(cli_command(i)->name, cli_command(j)->name) != 0);
    each_command(check_declaration);
}

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Runs cli_main on the words; stdout and stderr land in the two buffers. */
static char out[65536], errbuf[4096];

static void slurp(int fd, char *buf, size_t len)
{
    lseek(fd, 0, SEEK_SET);
    ssize_t n = read(fd, buf, len - 1);
    buf[n > 0 ? n : 0] = '\0';
    close(fd);
}

static int cli(const char *a1, const char *a2, const char *a3, const char *a4, const char *a5)
{
    char *argv[] = {"usbsim", (char *)a1, (char *)a2, (char *)a3, (char *)a4, (char *)a5, NULL};
    int argc = 1;
    while (argv[argc])
        argc++;
    char o_name[] = "/tmp/test_cli_out.XXXXXX", e_name[] = "/tmp/test_cli_err.XXXXXX";
    int o = mkstemp(o_name), e = mkstemp(e_name);
    CU_ASSERT_FATAL(o >= 0 && e >= 0);
    unlink(o_name);
    unlink(e_name);
    fflush(stdout);
    fflush(stderr);
    int so = dup(1), se = dup(2);
    dup2(o, 1);
    dup2(e, 2);
    int rc = cli_main(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(so, 1);
    dup2(se, 2);
    close(so);
    close(se);
    slurp(o, out, sizeof out);
    slurp(e, errbuf, sizeof errbuf);
    return rc;
}

static void test_help_and_version(void)
{
    CU_ASSERT(cli("--help", NULL, NULL, NULL, NULL) == 0);
    char top[sizeof out];
    strcpy(top, out);
    CU_ASSERT(strstr(top, "  usbsim driver --socket PATH") != NULL);
    CU_ASSERT(strstr(top, "  usbsim bench ring [--json] [--runs N]") != NULL);
    CU_ASSERT(cli("help", NULL, NULL, NULL, NULL) == 0);
    CU_ASSERT_STRING_EQUAL(out, top);
    CU_ASSERT(cli("-h", NULL, NULL, NULL, NULL) == 0);
    CU_ASSERT_STRING_EQUAL(out, top);

    CU_ASSERT(cli("help", "run", NULL, NULL, NULL) == 0);
    char run[sizeof out];
    strcpy(run, out);
    CU_ASSERT(starts(run, "usage: usbsim run FILE.yaml... "));
    CU_ASSERT(strstr(run, "--backend usbip|kernel|attach|vm") != NULL);
    CU_ASSERT(cli("run", "--help", NULL, NULL, NULL) == 0);
    CU_ASSERT_STRING_EQUAL(out, run);
    CU_ASSERT(cli("run", "x.yaml", "--seed", "oops", "-h") == 0); /* --help wins */
    CU_ASSERT_STRING_EQUAL(out, run);

    CU_ASSERT(cli("help", "bench", "e2e", NULL, NULL) == 0);
    CU_ASSERT(starts(out, "usage: usbsim bench e2e [--json] [--runs N] [--seconds S]\n"));
    CU_ASSERT(cli("bench", "e2e", "--help", NULL, NULL) == 0);
    CU_ASSERT(cli("help", "nope", NULL, NULL, NULL) == 2);
    CU_ASSERT(starts(errbuf, "usbsim help: there is no command 'nope'; the commands are run, "));
    CU_ASSERT(cli("help", "bench", "nope", NULL, NULL) == 2);

    CU_ASSERT(cli("-V", NULL, NULL, NULL, NULL) == 0);
    CU_ASSERT(starts(out, "usbsim "));
    char v[sizeof out];
    strcpy(v, out);
    CU_ASSERT(cli("--version", NULL, NULL, NULL, NULL) == 0);
    CU_ASSERT_STRING_EQUAL(out, v);
}

static void test_usage_errors(void)
{
    CU_ASSERT(cli(NULL, NULL, NULL, NULL, NULL) == 2);
    CU_ASSERT(cli("nope", NULL, NULL, NULL, NULL) == 2);
    CU_ASSERT_STRING_EQUAL(errbuf, "usbsim: unknown command 'nope' (try 'usbsim --help')\n");
    CU_ASSERT(cli("driver", "--socket", "s", "--slots", "7") == 2);
    CU_ASSERT_STRING_EQUAL(errbuf, "usbsim driver: --slots takes a power of two from 8 to "
                                   "1048576, not '7' (try 'usbsim driver --help')\n");
    CU_ASSERT_STRING_EQUAL(out, "");
    CU_ASSERT(cli("driver", "--slots", "8", NULL, NULL) == 2);
    CU_ASSERT_STRING_EQUAL(errbuf, "usbsim driver: needs --socket PATH (try 'usbsim driver "
                                   "--help')\n");
    CU_ASSERT(cli("run", "--seed", "010", NULL, NULL) == 2);
    CU_ASSERT_STRING_EQUAL(errbuf, "usbsim run: needs FILE.yaml... (try 'usbsim run --help')\n");
    CU_ASSERT(cli("plan", "a.yaml", "b.yaml", NULL, NULL) == 2);
    CU_ASSERT_STRING_EQUAL(errbuf, "usbsim plan: takes only FILE.yaml, not also 'b.yaml' "
                                   "(try 'usbsim plan --help')\n");
    CU_ASSERT(cli("validate", "--csv", "a.yaml", NULL, NULL) == 2);
    CU_ASSERT_STRING_EQUAL(errbuf, "usbsim validate: unknown option '--csv' (try 'usbsim "
                                   "validate --help')\n");
    CU_ASSERT(cli("gadget", "a.yaml", "--backend", "kernel", NULL) == 2);
    CU_ASSERT_STRING_EQUAL(errbuf, "usbsim gadget: --backend takes usbip or ffs, not 'kernel' "
                                   "(try 'usbsim gadget --help')\n");
    CU_ASSERT(cli("fuzz", "--runs", "2", "--budget-s", "5") == 2);
    CU_ASSERT(cli("fuzz", "--shard", "3/2", NULL, NULL) == 2);
    CU_ASSERT_STRING_EQUAL(errbuf, "usbsim fuzz: --shard takes K/N with 1 <= K <= N <= 1000000, "
                                   "not '3/2' (try 'usbsim fuzz --help')\n");
    CU_ASSERT(cli("bench", NULL, NULL, NULL, NULL) == 2);
    CU_ASSERT_STRING_EQUAL(errbuf, "usbsim bench: needs ring, e2e or scale (try 'usbsim bench --help')\n");
    CU_ASSERT(cli("bench", "ring", "--runs", "0", NULL) == 2);
    CU_ASSERT_STRING_EQUAL(errbuf, "usbsim bench ring: --runs takes a whole number from 1 to 51, "
                                   "not '0' (try 'usbsim bench ring --help')\n");
}

/* A raw stream with --app: refused before anything runs, one line, exit 2. */
static void test_app_refuses_raw(void)
{
    char path[] = "/tmp/test_cli_raw.XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    static const char yaml[] = "name: rawapp\nduration_ms: 100\ndevice:\n  framing: raw\n"
                               "  packet_size: 8\n";
    CU_ASSERT_FATAL(write(fd, yaml, sizeof yaml - 1) == (ssize_t)(sizeof yaml - 1));
    close(fd);
    CU_ASSERT(cli("run", path, "--app", "true", NULL) == 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(errbuf, "--app judges usbsim-framed streams; scenario "
                                          "'rawapp' has framing raw (use the built-in "
                                          "application or --exec)\n"));
    CU_ASSERT_PTR_NULL(strchr(strchr(errbuf, '\n') + 1, '\n')); /* one line */
    unlink(path);
}

/* A recording that does not play: one line from validate and run (exit 2), no device started. */
static void test_bad_recording(void)
{
    char dir[] = "/tmp/test_cli_rec.XXXXXX", rec[96], yaml[96], want[256];
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    cu_write_file(dir, "d.rec", "# usbsim recording 1\n0 0x81 0102\n10 0x81 zz\n", rec, sizeof rec);
    cu_write_file(dir, "d.yaml", "name: d\nduration_ms: 100\ndevice:\n  replay: {file: d.rec}\n",
                  yaml, sizeof yaml);
    snprintf(want, sizeof want, "%s: replay: %s:3: 'z' in the packet's bytes: hexadecimal "
             "pairs only\n", yaml, rec);
    const char *cmds[] = {"validate", "run", "plan"};
    for (size_t i = 0; i < 3; i++) {
        CU_ASSERT(cli(cmds[i], yaml, NULL, NULL, NULL) == 2);
        CU_ASSERT_STRING_EQUAL(errbuf, want);
    }
    unlink(rec);
    unlink(yaml);
    rmdir(dir);
}

static void test_validate_runs_through_the_table(void)
{
    CU_ASSERT(cli("validate", "--quiet", "scenarios/steady.yaml", NULL, NULL) == 0);
    CU_ASSERT_STRING_EQUAL(out, "");
    CU_ASSERT(cli("validate", "scenarios/steady.yaml", NULL, NULL, NULL) == 0);
    CU_ASSERT(starts(out, "scenarios/steady.yaml: ok (steady, "));
    CU_ASSERT(cli("plan", "scenarios/steady.yaml", "--csv", "--seed", "7") == 0);
    CU_ASSERT(strchr(out, ',') != NULL);
}

static CU_TestInfo tests[] = {
    {"the command table is well formed", test_table},
    {"help, help CMD, CMD --help, -V", test_help_and_version},
    {"usage errors: exit 2, one line naming the option", test_usage_errors},
    {"validate and plan run through the table", test_validate_runs_through_the_table},
    {"--app refuses a raw stream", test_app_refuses_raw},
    {"a recording that does not play: one line from validate, run and plan", test_bad_recording},
    CU_TEST_INFO_NULL,
};

int main(void) { return cu_main("cli", tests); }
