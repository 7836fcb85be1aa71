/* Tests of harness/outdir: the folder findings go to, and the files made in it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/outdir.h"
#include "tests/cu.h"

static char top[64], err[512];

static void mk_top(void)
{
    strcpy(top, "/tmp/usbsim-outdir-XXXXXX");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(top));
}

static void rm_top(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
    CU_ASSERT_EQUAL(system(cmd), 0);
}

static void t_made_private_and_checked(void)
{
    mk_top();
    char p[128];
    snprintf(p, sizeof p, "%s/out", top);
    CU_ASSERT_EQUAL(od_check(p, err, sizeof err), 0); /* missing: fine, made later */
    int fd = od_open(p, err, sizeof err);
    CU_ASSERT_FATAL(fd >= 0);
    struct stat st;
    CU_ASSERT_EQUAL(stat(p, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 0777, 0700);
    CU_ASSERT_EQUAL(od_check(p, err, sizeof err), 0);
    close(fd);
    rm_top();
}

static void t_refused_folders(void)
{
    mk_top();
    char p[128], link[128], file[128];
    snprintf(p, sizeof p, "%s/shared", top);
    CU_ASSERT_EQUAL_FATAL(mkdir(p, 0700), 0);
    CU_ASSERT_EQUAL(chmod(p, 0777), 0);
    CU_ASSERT_EQUAL(od_check(p, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "others may write"));
    CU_ASSERT_EQUAL(od_open(p, err, sizeof err), -1);
    CU_ASSERT_EQUAL(chmod(p, 0700), 0);
    snprintf(link, sizeof link, "%s/link", top);
    CU_ASSERT_EQUAL(symlink(p, link), 0);
    CU_ASSERT_EQUAL(od_check(link, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "symlink"));
    CU_ASSERT_EQUAL(od_open(link, err, sizeof err), -1);
    snprintf(file, sizeof file, "%s/file", top);
    FILE *f = fopen(file, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fclose(f);
    CU_ASSERT_EQUAL(od_check(file, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a folder"));
    if (geteuid() == 0) { /* another user's folder: only root can make one */
        CU_ASSERT_EQUAL(chown(p, 65534, 65534), 0);
        CU_ASSERT_EQUAL(od_check(p, err, sizeof err), -1);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "belongs to uid 65534"));
    }
    rm_top();
}

static void t_fresh_files_never_through_links(void)
{
    mk_top();
    char p[128], victim[128], name[256], path[512];
    snprintf(p, sizeof p, "%s/out", top);
    int fd = od_open(p, err, sizeof err);
    CU_ASSERT_FATAL(fd >= 0);
    /* fail-1-0.yaml exists (an earlier campaign), fail-1-0-2.yaml is a symlink to a victim */
    snprintf(path, sizeof path, "%s/fail-1-0.yaml", p);
    FILE *old = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(old);
    fputs("earlier\n", old);
    fclose(old);
    snprintf(victim, sizeof victim, "%s/victim", top);
    old = fopen(victim, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(old);
    fputs("keep\n", old);
    fclose(old);
    snprintf(path, sizeof path, "%s/fail-1-0-2.yaml", p);
    CU_ASSERT_EQUAL(symlink(victim, path), 0);
    FILE *f = od_create(fd, "fail-1-0", ".yaml", name, sizeof name);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_STRING_EQUAL(name, "fail-1-0-3.yaml");
    fputs("new\n", f);
    fclose(f);
    char buf[16] = "";
    FILE *v = fopen(victim, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_PTR_NOT_NULL(fgets(buf, sizeof buf, v));
    fclose(v);
    CU_ASSERT_STRING_EQUAL(buf, "keep\n");
    snprintf(path, sizeof path, "%s/fail-1-0.yaml", p);
    v = fopen(path, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_PTR_NOT_NULL(fgets(buf, sizeof buf, v));
    fclose(v);
    CU_ASSERT_STRING_EQUAL(buf, "earlier\n");
    close(fd);
    rm_top();
}

static CU_TestInfo tests[] = {
    {"made 0700, checked", t_made_private_and_checked},
    {"refused: world-writable, symlink, a file, another user's", t_refused_folders},
    {"fresh files, never over a file or through a symlink", t_fresh_files_never_through_links},
    CU_TEST_INFO_NULL,
};

int main(void) { return cu_main("outdir", tests); }
