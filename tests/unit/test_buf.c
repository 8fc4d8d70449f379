/* Unit tests for files written whole (common/base/buf.c's yfile): the
 * bytes land under the real name by a rename; a durable one (checkpoints,
 * the training log) is fsynced before the rename and its folder after, and
 * a failed fsync is YOLO_EIO naming the file or folder, the old file kept.
 * fsync is this file's own (it wins over libc's when linking), which
 * counts the calls, looks at what each one syncs, and fails on demand.
 * The tests run in a fresh folder of their own: the names are relative. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "yolo/base/buf.h"
#include "yolo/net/weights.h"

#include "check.h"

/* What the fake fsync saw and does: each call's kind of file ('f' a
 * regular file, 'd' a folder) and whether, on that call, the real name
 * held the new bytes yet (the rename had happened). */
typedef struct fsync_log {
    int n;
    char kind[8];
    int renamed[8];
    int fail_at;         /* the call (from 1) that fails with fail_errno; 0: none */
    int fail_errno;
    const char *watch;   /* the real name, and the bytes it gets */
    const char *bytes;
} fsync_log;
static fsync_log calls;  /* the test's one global: fsync's signature has no room */

static int holds(const char *path, const char *bytes)
{
    char got[64] = "";
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t n = fread(got, 1, sizeof got - 1, f);
    fclose(f);
    got[n] = 0;
    return strcmp(got, bytes) == 0;
}

int fsync(int fd)
{
    struct stat st;
    int k = calls.n++;
    if (k < 8) {
        calls.kind[k] = fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) ? 'd' : 'f';
        calls.renamed[k] = calls.watch && holds(calls.watch, calls.bytes);
    }
    if (calls.n == calls.fail_at) {
        errno = calls.fail_errno;
        return -1;
    }
    return 0;
}

/* Writes bytes to path as a yfile (durable or not), fsync call fail_at
 * (from 1; 0: none) failing with errno e; the commit's result. */
static int save(const char *path, const char *bytes, int durable, int fail_at, int e, yerr *err)
{
    yfile w;
    memset(&calls, 0, sizeof calls);
    memset(err, 0, sizeof *err);
    calls.watch = path, calls.bytes = bytes, calls.fail_at = fail_at, calls.fail_errno = e;
    if ((durable ? yfile_open_durable(&w, path, err) : yfile_open(&w, path, err)) < 0)
        return -1;
    int ok = fputs(bytes, w.f) >= 0;
    return yfile_commit(&w, ok, err);
}

static int gone(const char *path) { return access(path, F_OK) != 0; }

static void test_plain(void)
{
    yerr err;
    int rc = save("plain", "one", 0, 0, 0, &err);
    CHECK(rc == 0 && holds("plain", "one") && gone("plain.tmp"),
          "a yfile: the bytes under the real name, no .tmp left (%s)", rc ? err.msg : "ok");
    CHECK(calls.n == 0, "... not synced (pictures, lists: %d fsync calls)", calls.n);
}

static void test_durable(void)
{
    yerr err;
    int rc = save("sub/ck", "old", 1, 0, 0, &err);
    CHECK(rc == 0 && holds("sub/ck", "old") && gone("sub/ck.tmp"),
          "a durable yfile: written and renamed (%s)", rc ? err.msg : "ok");
    CHECK(calls.n == 2 && calls.kind[0] == 'f' && !calls.renamed[0] && calls.kind[1] == 'd' &&
          calls.renamed[1], "... the file fsynced before the rename, then its folder "
          "(%d calls: %.2s, renamed %d %d)", calls.n, calls.kind, calls.renamed[0], calls.renamed[1]);

    char want[256];
    rc = save("sub/ck", "new", 1, 1, EIO, &err);
    snprintf(want, sizeof want, "sub/ck.tmp: fsync: %s", strerror(EIO));
    CHECK(rc < 0 && err.code == YOLO_EIO && strcmp(err.msg, want) == 0,
          "the file's fsync fails (EIO): YOLO_EIO naming PATH.tmp and fsync ('%s')", err.msg);
    CHECK(holds("sub/ck", "old") && gone("sub/ck.tmp"), "... the old file kept, the .tmp removed");

    rc = save("sub/ck", "new", 1, 2, EIO, &err);
    snprintf(want, sizeof want, "sub: fsync: %s", strerror(EIO));
    CHECK(rc < 0 && err.code == YOLO_EIO && strcmp(err.msg, want) == 0,
          "the folder's fsync fails: YOLO_EIO naming the folder ('%s')", err.msg);
    CHECK(holds("sub/ck", "new"), "... the file renamed already");

    rc = save("sub/ck", "third", 1, 1, EINVAL, &err);
    CHECK(rc == 0 && holds("sub/ck", "third"), "fsync's EINVAL (a file system that cannot sync "
          "this kind of file) is no failure (%s)", rc ? err.msg : "ok");

    rc = save("rel", "r", 1, 0, 0, &err);
    CHECK(rc == 0 && calls.n == 2 && calls.kind[1] == 'd' && holds("rel", "r"),
          "a name without a folder: synced, then '.' (%s)", rc ? err.msg : "ok");
}

/* Checkpoints go through a durable yfile. */
static void test_weights(void)
{
    const char *text = "[net]\nwidth=4\nheight=4\nchannels=1\n\n[convolutional]\nfilters=2\n"
                       "size=1\nstride=1\npad=0\nactivation=linear\n";
    cfg c;
    network net;
    yerr err = {0};
    if (cfg_parse(&c, "t.cfg", text, strlen(text), &err) < 0 || net_load(&c, &net, &err) < 0) {
        CHECK(0, "test network builds (%s)", err.msg);
        return;
    }
    cfg_free(&c);
    weights_random(&net, 1);
    memset(&calls, 0, sizeof calls);
    int rc = weights_write(&net, "w.weights", &err);
    CHECK(rc == 0 && calls.n == 2 && calls.kind[0] == 'f' && calls.kind[1] == 'd',
          "weights_write: the file and its folder fsynced (%d calls; %s)", calls.n,
          rc ? err.msg : "ok");
    net_free(&net);
}

/* yfile_lines: blank lines skipped, each line trimmed and numbered, a
 * line too long named by file and line, a missing file, fn's stop. */
typedef struct seen_lines {
    char got[256];
    int stop_at;            /* line at which the callback says -1 (0: never) */
} seen_lines;

static int on_line(void *ctx, long line, char *text, size_t len, yerr *err)
{
    seen_lines *s = ctx;
    if (line == s->stop_at)
        return yerr_set(err, YOLO_EINPUT, "stopped at %ld", line);
    size_t n = strlen(s->got);
    snprintf(s->got + n, sizeof s->got - n, "%ld:%s(%zu) ", line, text, len);
    return 0;
}

static void test_lines(void)
{
    FILE *f = fopen("lines", "w");
    fputs("  cat \n\n\t\ndog\r\n  big bird\n", f);
    fclose(f);
    seen_lines s = {.got = ""};
    yerr err;
    CHECK(yfile_lines("lines", 16, "a name", on_line, &s, &err) == 0 &&
              strcmp(s.got, "1:cat(3) 4:dog(3) 5:big bird(8) ") == 0,
          "yfile_lines: blank lines skipped, trimmed, numbered (%s)", s.got);
    s = (seen_lines){.got = "", .stop_at = 4};
    CHECK(yfile_lines("lines", 16, "a name", on_line, &s, &err) == -1 &&
              strcmp(err.msg, "stopped at 4") == 0 && strcmp(s.got, "1:cat(3) ") == 0,
          "yfile_lines: the callback's -1 stops it (%s)", err.msg);
    s = (seen_lines){.got = ""};
    CHECK(yfile_lines("lines", 5, "a name", on_line, &s, &err) == -1 &&
              err.code == YOLO_EINPUT && strcmp(err.msg, "lines:1: line too long for a name") == 0,
          "yfile_lines: a line too long names the file and line (%s)", err.msg);
    CHECK(yfile_lines("no-such-file", 16, "a name", on_line, &s, &err) == -1 &&
              err.code == YOLO_EIO && strstr(err.msg, "no-such-file"),
          "yfile_lines: a missing file is YOLO_EIO naming it (%s)", err.msg);
    remove("lines");
}

int main(void)
{
    char dir[] = "/tmp/test_buf.XXXXXX";
    if (!mkdtemp(dir) || chdir(dir) != 0 || mkdir("sub", 0700) != 0) {
        perror(dir);
        return 1;
    }
    test_plain();
    test_durable();
    test_weights();
    test_lines();
    const char *names[] = {"plain", "sub/ck", "rel", "w.weights", "sub"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        remove(names[i]);
    if (chdir("/") == 0)
        rmdir(dir);
    return check_done();
}
