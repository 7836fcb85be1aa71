/* outdir — see outdir.h. */
#include "harness/outdir.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A folder of ours that only we may write to. */
static int judge(const char *path, const struct stat *st, char *err, size_t len)
{
    if (!S_ISDIR(st->st_mode))
        return snprintf(err, len, "%s: not a folder%s", path,
                        S_ISLNK(st->st_mode) ? " (a symlink: give the folder itself)" : ""), -1;
    if (st->st_uid != geteuid())
        return snprintf(err, len, "%s: the folder belongs to uid %u, not to you (uid %u)", path,
                        (unsigned)st->st_uid, (unsigned)geteuid()), -1;
    if (st->st_mode & (S_IWGRP | S_IWOTH))
        return snprintf(err, len, "%s: others may write to the folder (mode %03o): use a folder "
                        "only you can write to", path, (unsigned)(st->st_mode & 0777)), -1;
    return 0;
}

int od_check(const char *path, char *err, size_t len)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : (snprintf(err, len, "%s: %s", path, strerror(errno)), -1);
    return judge(path, &st, err, len);
}

int od_open(const char *path, char *err, size_t len)
{
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return snprintf(err, len, "cannot make %s: %s", path, strerror(errno)), -1;
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return snprintf(err, len, "%s: %s", path,
                        errno == ELOOP || errno == ENOTDIR ? "not a folder (a symlink?)"
                                                           : strerror(errno)), -1;
    struct stat st;
    if (fstat(fd, &st) != 0 || judge(path, &st, err, len) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

FILE *od_create(int dirfd, const char *stem, const char *ext, char *name, size_t cap)
{
    for (int k = 1; k < 1000; k++) {
        int n = k == 1 ? snprintf(name, cap, "%s%s", stem, ext)
                       : snprintf(name, cap, "%s-%d%s", stem, k, ext);
        if (n < 0 || (size_t)n >= cap) {
            errno = ENAMETOOLONG;
            return NULL;
        }
        int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd >= 0) {
            FILE *f = fdopen(fd, "w");
            if (!f)
                close(fd);
            return f;
        }
        if (errno != EEXIST)
            return NULL;
    }
    errno = EEXIST;
    return NULL;
}
