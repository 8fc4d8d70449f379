/* rec_read over arbitrary bytes: the framer (common/records/mpscan.c), the reader
 * and its key index (common/records/record.c), then on each record what stages do
 * with one: every value decoded (rec_at), the schema check, objects, the
 * input tensor, its JSON line (records-to-json, summary and --full), and a
 * set + delete + rec_write whose output must read back as one record with
 * the new value, without the deleted key and with every other key's bytes
 * unchanged. */
#include "fuzz.h"
#include "yolo/records/jsonrec.h"
#include "yolo/data/objects.h"
#include "yolo/records/record.h"
#include "yolo/records/schema.h"

#define MAX_RECORDS 64

/* Sets "fuzz", deletes "id", writes r and reads it back. */
static void rewrite(rec *r)
{
    yerr err;
    int set = rec_set_i64(r, "fuzz", 7, &err) == 0;
    rec_delete(r, "id");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        FUZZ_FAIL("open_memstream failed");
    rec_writer w;
    rec_writer_init(&w, f, "<memory>");
    int wrc = rec_write(&w, r, &err);
    if (fclose(f) != 0)
        FUZZ_FAIL("closing the memory stream failed");
    if (wrc == 0) {
        rec_reader *rd = rec_reader_new_mem(buf, len, "<rewritten>", &err);
        if (!rd)
            FUZZ_FAIL("rec_reader_new_mem: %s", err.msg);
        rec back;
        rec_init(&back);
        if (rec_read(rd, &back, &err) != 1)
            FUZZ_FAIL("a record rec_write wrote does not read back: %s", err.msg);
        int64_t v = 0;
        if (set && (rec_get_i64(&back, "fuzz", &v, &err) != 1 || v != 7))
            FUZZ_FAIL("the key set before writing is not there after");
        if (rec_has(&back, "id"))
            FUZZ_FAIL("the key deleted before writing is there after");
        /* the live keys, in order, with the same key and value bytes */
        size_t j = 0;
        for (size_t i = 0; i < r->n; i++) {
            if (r->ents[i].state == REC_DELETED)
                continue;
            const uint8_t *a, *b;
            size_t an, bn;
            rec_raw_at(r, i, &a, &an);
            if (j >= back.n)
                FUZZ_FAIL("key %zu of the written record is missing when read back", i);
            rec_raw_at(&back, j, &b, &bn);
            if (an != bn || memcmp(a, b, an) != 0)
                FUZZ_FAIL("the value of key %zu changed in writing", i);
            j++;
        }
        if (j != back.n)
            FUZZ_FAIL("the record read back has %zu keys, %zu were written", back.n, j);
        if (rec_read(rd, &back, &err) != 0)
            FUZZ_FAIL("one record written, more read back");
        rec_free(&back);
        rec_reader_free(rd);
    }
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    yerr err;
    rec_reader *rd = rec_reader_new_mem(data, size, "<fuzz>", &err);
    if (!rd)
        return 0;
    rec r;
    rec_init(&r);
    objlist objs = {0};
    ybuf line = {0};
    for (int n = 0; n < MAX_RECORDS && rec_read(rd, &r, &err) == 1; n++) {
        if (r.offset > size || r.raw_len > size - r.offset ||
            memcmp(data + r.offset, r.raw, r.raw_len) != 0)
            FUZZ_FAIL("record %d's bytes are not the input's at its offset", n);
        for (size_t i = 0; i < r.n; i++) {
            const char *key;
            size_t klen;
            const msgpack_object *val;
            rec_at(&r, i, &key, &klen, &val, &err);
        }
        rec_check_schema(&r, &err);
        rec_get_objects(&r, &objs, &err);
        tensor_view t;
        if (rec_get_tensor(&r, "input", &t, &err) == 1 && t.count)
            (void)tensor_get(&t, t.count - 1);
        line.len = 0;
        jrec_from_record(&r, &line, n & 1, &err);
        rewrite(&r);
    }
    ybuf_free(&line);
    objlist_free(&objs);
    rec_free(&r);
    rec_reader_free(rd);
    return 0;
}
