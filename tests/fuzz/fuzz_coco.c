/* coco_feed (coco-parse) over arbitrary text in small chunks: the first
 * byte of the input seeds the chunk sizes (1 to 64 bytes), the rest is the
 * JSON. Options (skip_empty, strict, an images folder) come from the
 * input's hash. After coco_finish every record is made, and each must pass
 * the schema check the next stages apply (records-to-json refuses a record
 * that fails it). */
#include "fuzz.h"
#include "yolo/data/coco.h"
#include "yolo/records/record.h"
#include "yolo/records/schema.h"

static void warn_sink(void *ctx, const char *msg)
{
    size_t *n = ctx;
    *n += strlen(msg) > 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint64_t h = fuzz_hash(data, size);
    size_t warnings = 0;
    coco_opts o = {
        .images_dir = h & 4 ? "val2017" : NULL,
        .skip_empty = (int)(h & 1),
        .strict = (int)((h >> 1) & 1),
        .warn = warn_sink,
        .warn_ctx = &warnings,
        .max_images = 4096,
        .max_annotations = 16384,
    };
    yerr err;
    coco *d = coco_new("<fuzz>", &o, &err);
    if (!d)
        return 0;
    fuzz_chunks ch = fuzz_chunks_init(data[0]);
    int rc = 0;
    for (size_t off = 1; rc == 0 && off < size;) {
        size_t k = fuzz_chunk_next(&ch, size - off);
        rc = coco_feed(d, data + off, k, &err);
        off += k;
    }
    if (rc == 0 && coco_finish(d, &err) == 0) {
        rec r;
        rec_init(&r);
        for (size_t i = 0; i < coco_count(d); i++) {
            int got = coco_record(d, i, &r, &err);
            if (got < 0)
                FUZZ_FAIL("coco_record %zu: %s", i, err.msg);
            if (got == 1 && rec_check_schema(&r, &err) < 0)
                FUZZ_FAIL("coco_record %zu breaks the schema: %s", i, err.msg);
        }
        rec_free(&r);
    }
    char line[512];
    coco_summary(d, line, sizeof line);
    coco_free(d);
    return 0;
}
