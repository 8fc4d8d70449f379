/* jrec_feed (json-to-records) over arbitrary text, fed in chunks whose
 * sizes come from the input's hash, then jrec_finish. Every record it
 * emits must read back as exactly one record, and must make the documented
 * round trip (docs/records.md, "Round trips"): its --full JSON line J goes
 * back to a record, whose --full JSON line is J again. The summary line
 * (records-to-json without --full) is made too. */
#include "fuzz.h"
#include "yolo/records/jsonrec.h"
#include "yolo/records/record.h"

#define MAX_EMITTED 256

/* The one record a parse of a JSON line gives. */
typedef struct capture {
    ybuf bytes;
    int count;
} capture;

static int capture_emit(void *ctx, const uint8_t *p, size_t len, yerr *err)
{
    capture *c = ctx;
    (void)err;
    c->count++;
    c->bytes.len = 0;
    if (ybuf_put(&c->bytes, p, len) < 0)
        FUZZ_FAIL("out of memory");
    return 0;
}

/* Reads the one record of p[len] into *r (on rd, which must outlive it). */
static rec_reader *read_one(const uint8_t *p, size_t len, rec *r, const char *what)
{
    yerr err;
    rec_reader *rd = rec_reader_new_mem(p, len, what, &err);
    if (!rd)
        FUZZ_FAIL("rec_reader_new_mem: %s", err.msg);
    if (rec_read(rd, r, &err) != 1)
        FUZZ_FAIL("%s: does not read as a record: %s", what, err.msg);
    rec tail;
    rec_init(&tail);
    if (rec_read(rd, &tail, &err) != 0)
        FUZZ_FAIL("%s: more than one record", what);
    rec_free(&tail);
    return rd;
}

/* J = the record's --full line; J back to a record; its line must be J. */
static void round_trip(rec *r)
{
    yerr err;
    ybuf j1 = {0}, j2 = {0};
    if (jrec_from_record(r, &j1, 1, &err) == 0) {
        capture cap = {{0}, 0};
        jrec_parser *p = jrec_parser_new("<round trip>", capture_emit, &cap, &err);
        if (!p)
            FUZZ_FAIL("jrec_parser_new: %s", err.msg);
        if (jrec_feed(p, j1.p, j1.len, &err) < 0 || jrec_finish(p, &err) < 0)
            FUZZ_FAIL("the --full JSON of an emitted record is refused: %s\n%.*s", err.msg,
                      (int)(j1.len < 2000 ? j1.len : 2000), (const char *)j1.p);
        if (cap.count != 1)
            FUZZ_FAIL("the --full JSON of one record gives %d records", cap.count);
        rec back;
        rec_init(&back);
        rec_reader *rd = read_one(cap.bytes.p, cap.bytes.len, &back, "<round trip>");
        if (jrec_from_record(&back, &j2, 1, &err) < 0)
            FUZZ_FAIL("the round trip's record has no JSON: %s", err.msg);
        if (j1.len != j2.len || memcmp(j1.p, j2.p, j1.len) != 0)
            FUZZ_FAIL("JSON -> record -> JSON is not the same text:\n%.*s%.*s",
                      (int)(j1.len < 2000 ? j1.len : 2000), (const char *)j1.p,
                      (int)(j2.len < 2000 ? j2.len : 2000), (const char *)j2.p);
        rec_free(&back);
        rec_reader_free(rd);
        jrec_parser_free(p);
        ybuf_free(&cap.bytes);
    }
    j1.len = 0;
    jrec_from_record(r, &j1, 0, &err); /* the summary line */
    ybuf_free(&j1);
    ybuf_free(&j2);
}

static int emit(void *ctx, const uint8_t *p, size_t len, yerr *err)
{
    int *n = ctx;
    if (++*n > MAX_EMITTED)
        return yerr_set(err, YOLO_EINPUT, "enough records for one input");
    rec r;
    rec_init(&r);
    rec_reader *rd = read_one(p, len, &r, "<emitted>");
    round_trip(&r);
    rec_free(&r);
    rec_reader_free(rd);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    yerr err;
    int n = 0;
    jrec_parser *p = jrec_parser_new("<fuzz>", emit, &n, &err);
    if (!p)
        return 0;
    fuzz_chunks ch = fuzz_chunks_init((uint32_t)fuzz_hash(data, size));
    int rc = 0;
    for (size_t off = 0; rc == 0 && off < size;) {
        size_t k = fuzz_chunk_next(&ch, size - off);
        rc = jrec_feed(p, data + off, k, &err);
        off += k;
    }
    if (rc == 0)
        jrec_finish(p, &err);
    jrec_parser_free(p);
    return 0;
}
