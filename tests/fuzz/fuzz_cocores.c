/* cocores_read_fd (eval-map --results: a COCO results file) over one
 * arbitrary file: every element handed on must be checked as promised
 * (bbox finite with w, h >= 0, score finite in [0, 1], indices in order
 * from 0), the callback's refusal (chosen by the input's hash) must become
 * an error naming the element, and every error must say something. */
#include <fcntl.h>
#include <math.h>

#include "fuzz.h"
#include "yolo/post/cocores.h"

static char path[4352];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_path(path, "results.json");
    return 0;
}

typedef struct seen {
    size_t next;            /* the index the next element must have */
    size_t refuse_at;       /* the element the callback refuses (SIZE_MAX: none) */
} seen;

static int on_entry(void *ctx, const cocores_entry *e, char *why, size_t n, const char **key,
                    int *code)
{
    seen *s = ctx;
    (void)code;
    if (e->index != s->next)
        FUZZ_FAIL("element %zu handed on where %zu was due", e->index, s->next);
    s->next++;
    for (int k = 0; k < 4; k++)
        if (!isfinite(e->bbox[k]))
            FUZZ_FAIL("element %zu: bbox[%d] is not finite", e->index, k);
    if (e->bbox[2] < 0 || e->bbox[3] < 0 || !isfinite(e->score) || e->score < 0 ||
        e->score > 1)
        FUZZ_FAIL("element %zu: w %g, h %g, score %g passed the check", e->index, e->bbox[2],
                  e->bbox[3], e->score);
    if (e->index == s->refuse_at) {
        snprintf(why, n, "refused by the harness");
        *key = "image_id";
        return -1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t hash = fuzz_hash(data, size);
    fuzz_write(path, data, size);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        FUZZ_FAIL("cannot open %s", path);
    seen s = {.refuse_at = hash & 1 ? (size_t)((hash >> 1) % 8) : SIZE_MAX};
    yerr err;
    int rc = cocores_read_fd(fd, "results.json", on_entry, &s, &err);
    close(fd);
    if (rc < 0 && !err.msg[0])
        FUZZ_FAIL("cocores_read_fd failed without a message");
    if (rc == 0 && s.refuse_at < s.next)
        FUZZ_FAIL("element %zu was refused, yet the file read without an error", s.refuse_at);
    return 0;
}
