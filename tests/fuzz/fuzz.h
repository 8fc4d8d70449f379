/* What the libFuzzer harnesses share (tests/fuzz/README.md): a temporary
 * directory of their own for the library entry points that take a path
 * (made on first use under $TMPDIR or /tmp, removed at exit), whole-file
 * writes into it, a hash of the input for choosing options, and FUZZ_FAIL
 * for an oracle that does not hold (the message, then abort(), which
 * libFuzzer reports as a crash with the input saved).
 *
 * A harness prints nothing per input, frees everything it allocates, and
 * writes nowhere but its directory. */
#ifndef YOLO_FUZZ_H
#define YOLO_FUZZ_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FUZZ_FAIL(...)                                                                   \
    do {                                                                                 \
        fprintf(stderr, "fuzz: %s:%d: ", __FILE__, __LINE__);                            \
        fprintf(stderr, __VA_ARGS__);                                                    \
        fputc('\n', stderr);                                                             \
        abort();                                                                         \
    } while (0)

static char fuzz_dir_[4096];

/* Removes path and, if it is a folder, all under it (no symbolic links are
 * followed: lstat). */
static inline void fuzz_rm_(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        char sub[sizeof fuzz_dir_ + 512];
        while (d && (e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
                (size_t)snprintf(sub, sizeof sub, "%s/%s", path, e->d_name) < sizeof sub)
                fuzz_rm_(sub);
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static inline void fuzz_cleanup_(void)
{
    if (fuzz_dir_[0])
        fuzz_rm_(fuzz_dir_);
    fuzz_dir_[0] = 0;
}

/* The harness's own temporary directory. */
static inline const char *fuzz_dir(void)
{
    if (!fuzz_dir_[0]) {
        const char *t = getenv("TMPDIR");
        if (!t || !*t)
            t = "/tmp";
        snprintf(fuzz_dir_, sizeof fuzz_dir_ - 256, "%s/yolo-fuzz-XXXXXX", t);
        if (!mkdtemp(fuzz_dir_))
            FUZZ_FAIL("cannot make a temporary directory under %s", t);
        atexit(fuzz_cleanup_);
    }
    return fuzz_dir_;
}

/* path = the directory + "/" + name, into buf[4352]. */
static inline const char *fuzz_path(char *buf, const char *name)
{
    snprintf(buf, 4352, "%s/%s", fuzz_dir(), name);
    return buf;
}

/* Writes data[size] to path whole; aborts if it cannot (a full disk is not
 * the library's fault, but a harness that cannot write tests nothing). */
static inline void fuzz_write(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
        FUZZ_FAIL("cannot write %s", path);
}

/* FNV-1a over the input: options chosen from it stay the same for the same
 * input, so a saved reproducer replays exactly. */
static inline uint64_t fuzz_hash(const uint8_t *data, size_t size)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 1099511628211ull;
    return h;
}

/* The sizes of the chunks an incremental parser is fed, from a seed: each
 * 1..max bytes (max is 1..64), from a small LCG. */
typedef struct fuzz_chunks {
    uint32_t state, max;
} fuzz_chunks;

static inline fuzz_chunks fuzz_chunks_init(uint32_t seed)
{
    return (fuzz_chunks){seed * 2654435761u + 1, 1 + seed % 64};
}

static inline size_t fuzz_chunk_next(fuzz_chunks *c, size_t left)
{
    c->state = c->state * 1103515245u + 12345u;
    size_t n = 1 + (c->state >> 16) % c->max;
    return n < left ? n : left;
}

#endif
