/* outdir — a folder the program writes its findings into (usbsim fuzz --out), safely.
 *
 * Contract:
 *  - od_check(path): 0 when path does not exist yet, or is a folder (not a symlink to one) owned
 *    by this user that nobody else may write to; -1 with a one-line reason in err otherwise.
 *    For a command to call before it runs anything (bad usage: exit 2).
 *  - od_open(path): makes the folder (0700) if it is missing, then opens it without following a
 *    symlink and checks it as od_check does; the folder's descriptor, or -1 with err.
 *  - od_create(dirfd, stem, ext): a new file STEM.EXT in that folder, created exclusively (never
 *    through a symlink, never over a file that exists: then STEM-2.EXT, STEM-3.EXT, ... up to
 *    STEM-999.EXT), mode 0644; its stream, its name in name, or NULL with errno.
 * Never blocks beyond the file system calls. Prefix: od_.
 */
#ifndef USBSIM_HARNESS_OUTDIR_H
#define USBSIM_HARNESS_OUTDIR_H

#include <stddef.h>
#include <stdio.h>

int od_check(const char *path, char *err, size_t len);
int od_open(const char *path, char *err, size_t len);
FILE *od_create(int dirfd, const char *stem, const char *ext, char *name, size_t cap);

#endif
