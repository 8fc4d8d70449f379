/* Unit tests for the incremental msgpack framer (common/records/mpscan.c):
 * mp_scan_step, mp_skip and mp_type_name.
 *
 * Every msgpack type in every width, incremental feeding (one byte at a
 * time, each time from a freshly allocated buffer of exactly that many bytes
 * so the sanitizer build catches any read past `len`), MP_MORE's `need`,
 * invalid bytes, the nesting limit (checked against msgpack-c's own decoder)
 * and huge claimed lengths. Ends with random cross-checks against
 * msgpack_unpack. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "yolo/records/mpscan.h"

#include "check.h"
#include "testutil.h"

/* ---- helpers ------------------------------------------------------------ */

/* msgpack-c's verdict on buf[0, len): the unpack return code and offset. */
static int mc_unpack(const uint8_t *buf, size_t len, size_t *off)
{
    msgpack_zone z;
    msgpack_zone_init(&z, 2048);
    msgpack_object o;
    *off = 0;
    int rc = msgpack_unpack((const char *)buf, len, off, &z, &o);
    msgpack_zone_destroy(&z);
    return rc;
}

/* Every property of the framer on one complete object buf[0, len):
 * exact length found with and without trailing bytes, every proper prefix
 * gives MP_MORE with prefix < need <= len, feeding one byte at a time gives
 * the same answer as all at once, jumping straight to `need` terminates,
 * and msgpack-c agrees on the length. */
static void check_object(const char *name, const uint8_t *buf, size_t len)
{
    /* all at once, in a buffer of exactly len bytes */
    uint8_t *exact = dup_bytes(buf, len);
    const char *why = NULL;
    CHECK(mp_skip(exact, len, &why) == len, "%s: mp_skip finds the whole object (%zu bytes)", name, len);
    free(exact);

    /* followed by other bytes, including an invalid one */
    uint8_t *more = malloc(len + 4);
    memcpy(more, buf, len);
    memcpy(more + len, "\xc1\x92\x01\x02", 4);
    CHECK(mp_skip(more, len + 4, &why) == len, "%s: trailing bytes are not part of the object", name);
    free(more);

    /* first byte names the type */
    CHECK(mp_type_name(buf[0]) != NULL && strcmp(mp_type_name(buf[0]), "invalid") != 0,
          "%s: mp_type_name(0x%02x) = %s", name, buf[0], mp_type_name(buf[0]));

    int small = len <= 4096;
    /* every proper prefix (sampled for big objects): MP_MORE, need in (k, len] */
    int prefix_ok = 1, skip0_ok = 1;
    for (size_t k = 0; k < len; k++) {
        if (!small && k > 64 && k + 64 < len && xrand() % 512)
            continue;
        uint8_t *p = dup_bytes(buf, k);
        mp_scan s;
        mp_scan_init(&s);
        int rc = mp_scan_step(&s, p, k);
        if (rc != MP_MORE || s.need <= k || s.need > len)
            prefix_ok = 0;
        why = NULL;
        if (mp_skip(p, k, &why) != 0 || !why || !strstr(why, "incomplete"))
            skip0_ok = 0;
        free(p);
    }
    CHECK(prefix_ok, "%s: every proper prefix gives MP_MORE with prefix < need <= length", name);
    CHECK(skip0_ok, "%s: mp_skip of every proper prefix is 0, \"incomplete\"", name);

    /* one byte at a time, resuming the same state; small objects from a new
     * buffer each time (the buffer may move between calls) */
    {
        mp_scan s;
        mp_scan_init(&s);
        int ok = 1, rc = MP_MORE;
        size_t last_need = 0;
        for (size_t k = 0; k <= len; k++) {
            uint8_t *p = small ? dup_bytes(buf, k) : NULL;
            rc = mp_scan_step(&s, small ? p : buf, k);
            free(p);
            if (k < len) {
                if (rc != MP_MORE || s.need <= k || s.need > len || s.need < last_need)
                    ok = 0;
                last_need = s.need;
                if (s.pos > k)
                    ok = 0;
            }
        }
        CHECK(ok && rc == MP_DONE && s.pos == len,
              "%s: fed one byte at a time, same result as all at once", name);
    }

    /* jumping straight to `need` each time */
    {
        mp_scan s;
        mp_scan_init(&s);
        size_t k = 0, steps = 0;
        int rc, ok = 1;
        while ((rc = mp_scan_step(&s, buf, k)) == MP_MORE && steps <= len + 1) {
            if (s.need <= k || s.need > len) {
                ok = 0;
                break;
            }
            k = s.need;
            steps++;
        }
        CHECK(ok && rc == MP_DONE && s.pos == len && k == len,
              "%s: feeding exactly `need` bytes each time reaches the end (%zu steps)", name, steps);
    }

    /* msgpack-c decodes exactly the same bytes */
    size_t off;
    int mrc = mc_unpack(buf, len, &off);
    CHECK(mrc == MSGPACK_UNPACK_SUCCESS && off == len, "%s: msgpack-c decodes the same %zu bytes", name, len);
}

static void check_packed(const char *name, pbuf *b)
{
    check_object(name, (const uint8_t *)b->sb.data, b->sb.size);
    pb_reset(b);
}

/* Hand-written bytes. */
static void check_hex(const char *name, const char *bytes, size_t n, uint8_t first)
{
    CHECK((uint8_t)bytes[0] == first, "%s: starts with 0x%02x", name, first);
    check_object(name, (const uint8_t *)bytes, n);
}

/* ---- every type ---------------------------------------------------------- */

static void test_scalars(void)
{
    pbuf b;
    pb_init(&b);

    msgpack_pack_int(&b.pk, 0);
    check_packed("positive fixint 0", &b);
    msgpack_pack_int(&b.pk, 127);
    check_packed("positive fixint 127", &b);
    msgpack_pack_int(&b.pk, -1);
    check_packed("negative fixint -1", &b);
    msgpack_pack_int(&b.pk, -32);
    check_packed("negative fixint -32", &b);
    CHECK(strcmp(mp_type_name(0x00), "int") == 0 && strcmp(mp_type_name(0x7f), "int") == 0 &&
          strcmp(mp_type_name(0xe0), "int") == 0 && strcmp(mp_type_name(0xff), "int") == 0,
          "mp_type_name: fixints are int");

    msgpack_pack_fix_uint8(&b.pk, 200);
    CHECK((uint8_t)b.sb.data[0] == 0xcc && b.sb.size == 2, "uint8 packs as 0xcc");
    check_packed("uint8", &b);
    msgpack_pack_fix_uint16(&b.pk, 0xbeef);
    CHECK((uint8_t)b.sb.data[0] == 0xcd && b.sb.size == 3, "uint16 packs as 0xcd");
    check_packed("uint16", &b);
    msgpack_pack_fix_uint32(&b.pk, 5);
    CHECK((uint8_t)b.sb.data[0] == 0xce && b.sb.size == 5, "uint32 packs as 0xce");
    check_packed("uint32 (non-canonical 5)", &b);
    msgpack_pack_fix_uint64(&b.pk, UINT64_MAX);
    CHECK((uint8_t)b.sb.data[0] == 0xcf && b.sb.size == 9, "uint64 packs as 0xcf");
    check_packed("uint64", &b);
    msgpack_pack_fix_int8(&b.pk, -100);
    CHECK((uint8_t)b.sb.data[0] == 0xd0 && b.sb.size == 2, "int8 packs as 0xd0");
    check_packed("int8", &b);
    msgpack_pack_fix_int16(&b.pk, -30000);
    CHECK((uint8_t)b.sb.data[0] == 0xd1 && b.sb.size == 3, "int16 packs as 0xd1");
    check_packed("int16", &b);
    msgpack_pack_fix_int32(&b.pk, INT32_MIN);
    CHECK((uint8_t)b.sb.data[0] == 0xd2 && b.sb.size == 5, "int32 packs as 0xd2");
    check_packed("int32", &b);
    msgpack_pack_fix_int64(&b.pk, INT64_MIN);
    CHECK((uint8_t)b.sb.data[0] == 0xd3 && b.sb.size == 9, "int64 packs as 0xd3");
    check_packed("int64", &b);

    msgpack_pack_float(&b.pk, 1.5f);
    CHECK((uint8_t)b.sb.data[0] == 0xca && b.sb.size == 5, "float32 packs as 0xca");
    check_packed("float32", &b);
    msgpack_pack_double(&b.pk, -0.0);
    CHECK((uint8_t)b.sb.data[0] == 0xcb && b.sb.size == 9, "float64 packs as 0xcb");
    check_packed("float64", &b);
    CHECK(strcmp(mp_type_name(0xca), "float") == 0 && strcmp(mp_type_name(0xcb), "float") == 0,
          "mp_type_name: 0xca/0xcb are float");

    msgpack_pack_nil(&b.pk);
    check_packed("nil", &b);
    msgpack_pack_true(&b.pk);
    check_packed("true", &b);
    msgpack_pack_false(&b.pk);
    check_packed("false", &b);
    CHECK(strcmp(mp_type_name(0xc0), "nil") == 0 && strcmp(mp_type_name(0xc2), "bool") == 0 &&
          strcmp(mp_type_name(0xc3), "bool") == 0,
          "mp_type_name: nil and bools");
    for (unsigned c = 0xcc; c <= 0xd3; c++)
        if (strcmp(mp_type_name((uint8_t)c), "int") != 0)
            CHECK(0, "mp_type_name(0x%02x) is int", c);
    pb_free(&b);
}

static void test_strings_bins_exts(void)
{
    pbuf b;
    pb_init(&b);
    static char text[70000];
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = (char)('a' + i % 26);

    static const struct { size_t len; uint8_t first; const char *name; } strs[] = {
        {0, 0xa0, "fixstr empty"}, {31, 0xbf, "fixstr 31"},   {32, 0xd9, "str8 32"},
        {255, 0xd9, "str8 255"},   {256, 0xda, "str16 256"},  {65535, 0xda, "str16 65535"},
        {65536, 0xdb, "str32 65536"},
    };
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++) {
        msgpack_pack_str_with_body(&b.pk, text, strs[i].len);
        CHECK((uint8_t)b.sb.data[0] == strs[i].first, "%s: header byte 0x%02x", strs[i].name, strs[i].first);
        CHECK(strcmp(mp_type_name(strs[i].first), "string") == 0, "%s: mp_type_name is string", strs[i].name);
        check_packed(strs[i].name, &b);
    }
    check_hex("str8 non-canonical empty", "\xd9\x00", 2, 0xd9);
    check_hex("str16 non-canonical \"hi\"", "\xda\x00\x02hi", 5, 0xda);
    check_hex("str32 non-canonical \"hi\"", "\xdb\x00\x00\x00\x02hi", 7, 0xdb);

    static const struct { size_t len; uint8_t first; const char *name; } bins[] = {
        {0, 0xc4, "bin8 empty"}, {10, 0xc4, "bin8 10"},       {255, 0xc4, "bin8 255"},
        {256, 0xc5, "bin16 256"}, {65535, 0xc5, "bin16 65535"}, {65536, 0xc6, "bin32 65536"},
    };
    for (size_t i = 0; i < sizeof bins / sizeof *bins; i++) {
        msgpack_pack_bin_with_body(&b.pk, text, bins[i].len);
        CHECK((uint8_t)b.sb.data[0] == bins[i].first, "%s: header byte 0x%02x", bins[i].name, bins[i].first);
        CHECK(strcmp(mp_type_name(bins[i].first), "bin") == 0, "%s: mp_type_name is bin", bins[i].name);
        check_packed(bins[i].name, &b);
    }
    check_hex("bin32 non-canonical 3 bytes", "\xc6\x00\x00\x00\x03\x01\x02\x03", 8, 0xc6);

    static const struct { size_t len; uint8_t first; const char *name; } exts[] = {
        {1, 0xd4, "fixext1"},  {2, 0xd5, "fixext2"},    {4, 0xd6, "fixext4"},
        {8, 0xd7, "fixext8"},  {16, 0xd8, "fixext16"},  {0, 0xc7, "ext8 empty"},
        {3, 0xc7, "ext8 3"},   {255, 0xc7, "ext8 255"}, {256, 0xc8, "ext16 256"},
        {65535, 0xc8, "ext16 65535"}, {65536, 0xc9, "ext32 65536"},
    };
    for (size_t i = 0; i < sizeof exts / sizeof *exts; i++) {
        msgpack_pack_ext_with_body(&b.pk, text, exts[i].len, (int8_t)(i % 2 ? -5 : 7));
        CHECK((uint8_t)b.sb.data[0] == exts[i].first, "%s: header byte 0x%02x", exts[i].name, exts[i].first);
        CHECK(strcmp(mp_type_name(exts[i].first), "ext") == 0, "%s: mp_type_name is ext", exts[i].name);
        check_packed(exts[i].name, &b);
    }
    check_hex("ext8 non-canonical 2 bytes", "\xc7\x02\x05\xaa\xbb", 5, 0xc7);
    check_hex("ext32 non-canonical 1 byte", "\xc9\x00\x00\x00\x01\x05\xaa", 7, 0xc9);
    pb_free(&b);
}

static void test_containers(void)
{
    pbuf b;
    pb_init(&b);

    msgpack_pack_array(&b.pk, 0);
    check_packed("fixarray empty", &b);
    msgpack_pack_array(&b.pk, 3);
    msgpack_pack_int(&b.pk, 1);
    msgpack_pack_str_with_body(&b.pk, "two", 3);
    msgpack_pack_double(&b.pk, 3.0);
    check_packed("fixarray [1, \"two\", 3.0]", &b);
    msgpack_pack_array(&b.pk, 15);
    for (int i = 0; i < 15; i++)
        msgpack_pack_int(&b.pk, i * 1000);
    check_packed("fixarray 15", &b);
    msgpack_pack_array(&b.pk, 20);
    for (int i = 0; i < 20; i++)
        msgpack_pack_int(&b.pk, -i);
    CHECK((uint8_t)b.sb.data[0] == 0xdc, "array16: header byte 0xdc");
    check_packed("array16 20", &b);
    msgpack_pack_array(&b.pk, 70000);
    for (int i = 0; i < 70000; i++)
        msgpack_pack_nil(&b.pk);
    CHECK((uint8_t)b.sb.data[0] == 0xdd, "array32: header byte 0xdd");
    check_packed("array32 70000", &b);
    check_hex("array16 non-canonical empty", "\xdc\x00\x00", 3, 0xdc);
    check_hex("array32 non-canonical [1]", "\xdd\x00\x00\x00\x01\x01", 6, 0xdd);
    CHECK(strcmp(mp_type_name(0x90), "array") == 0 && strcmp(mp_type_name(0x9f), "array") == 0 &&
          strcmp(mp_type_name(0xdc), "array") == 0 && strcmp(mp_type_name(0xdd), "array") == 0,
          "mp_type_name: arrays");

    msgpack_pack_map(&b.pk, 0);
    check_packed("fixmap empty", &b);
    msgpack_pack_map(&b.pk, 2);
    msgpack_pack_str_with_body(&b.pk, "a", 1);
    msgpack_pack_int(&b.pk, 1);
    msgpack_pack_int(&b.pk, 7); /* non-string keys are fine for the framer */
    msgpack_pack_nil(&b.pk);
    check_packed("fixmap {a: 1, 7: nil}", &b);
    msgpack_pack_map(&b.pk, 20);
    for (int i = 0; i < 20; i++) {
        msgpack_pack_int(&b.pk, i);
        msgpack_pack_array(&b.pk, 1);
        msgpack_pack_int(&b.pk, i);
    }
    CHECK((uint8_t)b.sb.data[0] == 0xde, "map16: header byte 0xde");
    check_packed("map16 20", &b);
    msgpack_pack_map(&b.pk, 66000);
    for (int i = 0; i < 66000; i++) {
        msgpack_pack_int(&b.pk, i & 0x7f);
        msgpack_pack_true(&b.pk);
    }
    CHECK((uint8_t)b.sb.data[0] == 0xdf, "map32: header byte 0xdf");
    check_packed("map32 66000", &b);
    check_hex("map16 non-canonical {a: 1}", "\xde\x00\x01\xa1\x61\x01", 6, 0xde);
    check_hex("map32 non-canonical {}", "\xdf\x00\x00\x00\x00", 5, 0xdf);
    CHECK(strcmp(mp_type_name(0x80), "map") == 0 && strcmp(mp_type_name(0x8f), "map") == 0 &&
          strcmp(mp_type_name(0xde), "map") == 0 && strcmp(mp_type_name(0xdf), "map") == 0,
          "mp_type_name: maps");

    /* nested: {"a": [1, {"b": [[], {}]}], "c": {"d": {"e": bin, "f": ext}}, 1: [nil, [true]]} */
    msgpack_pack_map(&b.pk, 3);
    msgpack_pack_str_with_body(&b.pk, "a", 1);
    msgpack_pack_array(&b.pk, 2);
    msgpack_pack_int(&b.pk, 1);
    msgpack_pack_map(&b.pk, 1);
    msgpack_pack_str_with_body(&b.pk, "b", 1);
    msgpack_pack_array(&b.pk, 2);
    msgpack_pack_array(&b.pk, 0);
    msgpack_pack_map(&b.pk, 0);
    msgpack_pack_str_with_body(&b.pk, "c", 1);
    msgpack_pack_map(&b.pk, 1);
    msgpack_pack_str_with_body(&b.pk, "d", 1);
    msgpack_pack_map(&b.pk, 2);
    msgpack_pack_str_with_body(&b.pk, "e", 1);
    msgpack_pack_bin_with_body(&b.pk, "\x00\x01\x02", 3);
    msgpack_pack_str_with_body(&b.pk, "f", 1);
    msgpack_pack_ext_with_body(&b.pk, "\x09\x08\x07\x06", 4, 3);
    msgpack_pack_int(&b.pk, 1);
    msgpack_pack_array(&b.pk, 2);
    msgpack_pack_nil(&b.pk);
    msgpack_pack_array(&b.pk, 1);
    msgpack_pack_true(&b.pk);
    check_packed("nested maps and arrays", &b);

    /* a container ending exactly where the next sibling container starts */
    check_hex("[[], [[]], {}] siblings", "\x93\x90\x91\x90\x80", 5, 0x93);
    check_hex("{[]: {}} container key", "\x81\x90\x80", 3, 0x81);
    pb_free(&b);
}

/* ---- invalid bytes, need, depth, huge lengths ------------------------------ */

static void test_invalid(void)
{
    mp_scan s;
    const char *why = NULL;

    mp_scan_init(&s);
    CHECK(mp_scan_step(&s, (const uint8_t *)"\xc1", 1) == MP_ERROR && s.pos == 0 && s.why,
          "0xc1 alone: MP_ERROR at byte 0");
    CHECK(s.why && strstr(s.why, "0xc1"), "0xc1: why names the byte (%s)", s.why ? s.why : "(null)");
    CHECK(mp_skip((const uint8_t *)"\xc1", 1, &why) == 0 && why && strstr(why, "0xc1"),
          "mp_skip(0xc1) is 0 and why says so");
    CHECK(strcmp(mp_type_name(0xc1), "invalid") == 0, "mp_type_name(0xc1) is invalid");

    mp_scan_init(&s);
    CHECK(mp_scan_step(&s, (const uint8_t *)"\x93\x01\xc1\x02", 4) == MP_ERROR && s.pos == 2,
          "[1, 0xc1, 2]: MP_ERROR at byte 2");
    mp_scan_init(&s);
    CHECK(mp_scan_step(&s, (const uint8_t *)"\x82\xa1k\x01\xc1\x01", 6) == MP_ERROR && s.pos == 4,
          "0xc1 as a map key: MP_ERROR at byte 4");
    mp_scan_init(&s);
    CHECK(mp_scan_step(&s, (const uint8_t *)"\x81\xa1k\x91\x92\x01\xc1", 7) == MP_ERROR && s.pos == 6,
          "0xc1 nested 3 deep: MP_ERROR at byte 6");

    /* incrementally: MP_MORE until the bad byte arrives, then MP_ERROR */
    {
        const uint8_t bad[] = {0x92, 0xcd, 0x01, 0x02, 0xc1};
        mp_scan_init(&s);
        int ok = 1, rc = MP_MORE;
        for (size_t k = 0; k <= sizeof bad; k++) {
            uint8_t *p = dup_bytes(bad, k);
            rc = mp_scan_step(&s, p, k);
            free(p);
            if (k < sizeof bad && rc != MP_MORE)
                ok = 0;
        }
        CHECK(ok && rc == MP_ERROR && s.pos == 4, "[uint16, 0xc1] fed byte by byte: MP_MORE then MP_ERROR at 4");
    }

    /* 0xc1 after a complete object is not looked at */
    CHECK(mp_skip((const uint8_t *)"\x91\x05\xc1", 3, &why) == 2, "0xc1 after a complete object is ignored");

    /* every first byte except 0xc1 starts something the framer understands */
    int ok = 1;
    for (unsigned c = 0; c < 256; c++) {
        uint8_t one = (uint8_t)c;
        mp_scan_init(&s);
        int rc = mp_scan_step(&s, &one, 1);
        if ((c == 0xc1) != (rc == MP_ERROR))
            ok = 0;
    }
    CHECK(ok, "every byte but 0xc1 is a valid first byte");
}

static void test_need(void)
{
    static const struct { const char *bytes; size_t n; size_t need; const char *name; } cases[] = {
        {"", 0, 1, "empty input"},
        {"\xcc", 1, 2, "uint8 header"},
        {"\xcd\x01", 2, 3, "uint16 half"},
        {"\xce", 1, 5, "uint32 header"},
        {"\xcf", 1, 9, "uint64 header"},
        {"\xd3\x00\x00", 3, 9, "int64 partial"},
        {"\xca", 1, 5, "float32 header"},
        {"\xcb", 1, 9, "float64 header"},
        {"\xa5he", 3, 6, "fixstr 5 partial"},
        {"\xd9", 1, 2, "str8 without length"},
        {"\xd9\x05", 2, 7, "str8 5 without text"},
        {"\xda\x00", 2, 3, "str16 half length"},
        {"\xda\x01\x00", 3, 259, "str16 256 without text"},
        {"\xdb\x00\x00", 3, 5, "str32 half length"},
        {"\xc4", 1, 2, "bin8 header"},
        {"\xc4\x0a\x01", 3, 12, "bin8 10 partial"},
        {"\xc5\x01\x00", 3, 259, "bin16 256"},
        {"\xc6\x00\x01\x00\x00", 5, 65541, "bin32 65536"},
        {"\xd4", 1, 3, "fixext1 header"},
        {"\xd5\x01", 2, 4, "fixext2 partial"},
        {"\xd6", 1, 6, "fixext4 header"},
        {"\xd7", 1, 10, "fixext8 header"},
        {"\xd8", 1, 18, "fixext16 header"},
        {"\xc7", 1, 2, "ext8 without length"},
        {"\xc7\x03", 2, 6, "ext8 3 without type"},
        {"\xc8\x00\x03", 3, 7, "ext16 3"},
        {"\xc9\x00\x00\x00\x03\x01", 6, 9, "ext32 3 partial"},
        {"\xdc", 1, 3, "array16 header"},
        {"\xdc\x00\x02", 3, 4, "array16 2 without items"},
        {"\xdd\x00\x00\x00\x02\x01", 6, 7, "array32 2 with one item"},
        {"\xde\x00", 2, 3, "map16 half"},
        {"\xdf\x00\x00\x00\x01\xa1k", 7, 8, "map32 1 without value"},
        {"\x92\x01\xda\x00\x10", 5, 21, "str16 16 inside an array"},
        {"\x82\xa1" "a\x01\xa1", 5, 6, "fixmap key partial"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        uint8_t *p = dup_bytes(cases[i].bytes, cases[i].n);
        mp_scan s;
        mp_scan_init(&s);
        int rc = mp_scan_step(&s, p, cases[i].n);
        CHECK(rc == MP_MORE && s.need == cases[i].need, "need: %s -> MP_MORE, need %zu (got rc %d need %zu)",
              cases[i].name, cases[i].need, rc, s.need);
        free(p);
    }
}

/* n nested containers: arrays ([[...[x]...]]), maps ({"":{"":...}}) or mixed;
 * the innermost holds one int, or nothing if empty. */
static size_t nest(uint8_t *out, int n, int kind, int empty)
{
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        int map = kind == 1 || (kind == 2 && i % 2);
        int last = i == n - 1;
        if (map) {
            out[k++] = last && empty ? 0x80 : 0x81;
            if (!(last && empty))
                out[k++] = 0xa0; /* key "" */
        } else if (kind == 3) { /* array16 headers */
            out[k++] = 0xdc;
            out[k++] = 0;
            out[k++] = last && empty ? 0 : 1;
        } else {
            out[k++] = last && empty ? 0x90 : 0x91;
        }
    }
    if (!empty)
        out[k++] = 0x2a;
    return k;
}

static void test_depth(void)
{
    uint8_t buf[256];
    static const char *kinds[] = {"arrays", "maps", "mixed", "array16s"};
    char name[96];
    for (int kind = 0; kind < 4; kind++) {
        for (int empty = 0; empty < 2; empty++) {
            size_t n = nest(buf, MP_MAX_DEPTH, kind, empty);
            snprintf(name, sizeof name, "depth 32 %s%s", kinds[kind], empty ? " (innermost empty)" : "");
            check_object(name, buf, n);

            n = nest(buf, MP_MAX_DEPTH + 1, kind, empty);
            mp_scan s;
            mp_scan_init(&s);
            int rc = mp_scan_step(&s, buf, n);
            CHECK(rc == MP_ERROR && s.why && strstr(s.why, "nesting"),
                  "depth 33 %s%s: MP_ERROR (%s)", kinds[kind], empty ? " (innermost empty)" : "",
                  s.why ? s.why : "");
            size_t off;
            int mrc = mc_unpack(buf, n, &off);
            CHECK(mrc != MSGPACK_UNPACK_SUCCESS && mrc != MSGPACK_UNPACK_EXTRA_BYTES,
                  "depth 33 %s%s: msgpack-c refuses it too (rc %d)", kinds[kind],
                  empty ? " (innermost empty)" : "", mrc);
        }
    }
    CHECK(MP_MAX_DEPTH == 32, "MP_MAX_DEPTH is 32");

    /* depth is released when containers close: 100 siblings each 31 deep
     * inside one array are 32 deep, fine */
    {
        uint8_t *big = malloc(3 + 100 * 100);
        size_t k = 0;
        big[k++] = 0xdc;
        big[k++] = 0;
        big[k++] = 100;
        for (int i = 0; i < 100; i++)
            k += nest(big + k, MP_MAX_DEPTH - 1, i % 3, i % 2);
        check_object("100 siblings each 31 deep", big, k);
        /* and one more level inside the last sibling is too deep */
        uint8_t *deeper = malloc(k + 2);
        size_t k2 = 0;
        deeper[k2++] = 0xdc;
        deeper[k2++] = 0;
        deeper[k2++] = 2;
        k2 += nest(deeper + k2, MP_MAX_DEPTH - 1, 0, 0);
        k2 += nest(deeper + k2, MP_MAX_DEPTH, 0, 0);
        mp_scan s;
        mp_scan_init(&s);
        CHECK(mp_scan_step(&s, deeper, k2) == MP_ERROR, "second sibling 32 deep inside an array: MP_ERROR");
        free(deeper);
        free(big);
    }

    /* depth 33 discovered incrementally */
    {
        size_t n = nest(buf, MP_MAX_DEPTH + 1, 0, 0);
        mp_scan s;
        mp_scan_init(&s);
        int rc = MP_MORE;
        size_t k, at = 0;
        for (k = 0; k <= n && rc == MP_MORE; k++) {
            uint8_t *p = dup_bytes(buf, k);
            rc = mp_scan_step(&s, p, k);
            free(p);
            at = k;
        }
        CHECK(rc == MP_ERROR && at == MP_MAX_DEPTH + 1 && s.pos == MP_MAX_DEPTH,
              "depth 33 fed byte by byte: MP_ERROR once the 33rd header arrives (at byte %zu)", s.pos);
    }
}

static void test_huge(void)
{
    static const struct { const char *bytes; size_t n; size_t need; const char *name; } cases[] = {
        {"\xc6\xff\xff\xff\xff\x01\x02\x03\x04\x05", 10, 5 + (size_t)0xffffffff, "bin32 of 4 GiB, 10 bytes present"},
        {"\xdb\xff\xff\xff\xff" "abcde", 10, 5 + (size_t)0xffffffff, "str32 of 4 GiB"},
        {"\xc9\xff\xff\xff\xff\x01\x02\x03\x04\x05", 10, 6 + (size_t)0xffffffff, "ext32 of 4 GiB"},
        {"\xdd\xff\xff\xff\xff\xc0\xc0\xc0\xc0\xc0", 10, 11, "array32 of 4G items, 5 present"},
        {"\xdf\xff\xff\xff\xff\xc0\xc0\xc0\xc0\xc0", 10, 11, "map32 of 4G entries, 5 present"},
        {"\x92\x01\xc6\xff\xff\xff\xf0\x00", 8, 7 + (size_t)0xfffffff0, "bin32 of 4 GiB inside an array"},
        {"\xc5\xff\xff\x00", 4, 3 + 65535, "bin16 of 64 KiB, 1 byte present"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        uint8_t *p = dup_bytes(cases[i].bytes, cases[i].n);
        mp_scan s;
        mp_scan_init(&s);
        int rc = mp_scan_step(&s, p, cases[i].n);
        CHECK(rc == MP_MORE && s.need == cases[i].need, "%s: MP_MORE, need %zu (got rc %d need %zu)",
              cases[i].name, cases[i].need, rc, s.need);
        const char *why = NULL;
        CHECK(mp_skip(p, cases[i].n, &why) == 0 && why, "%s: mp_skip is 0", cases[i].name);
        free(p);
    }
    /* resuming a 4G array after more items arrive keeps counting */
    {
        uint8_t *p = malloc(5 + 1000);
        memcpy(p, "\xdd\xff\xff\xff\xff", 5);
        memset(p + 5, 0xc0, 1000);
        mp_scan s;
        mp_scan_init(&s);
        int rc1 = mp_scan_step(&s, p, 10);
        int rc2 = mp_scan_step(&s, p, 1005);
        CHECK(rc1 == MP_MORE && rc2 == MP_MORE && s.need == 1006 && s.pos == 1005,
              "array32 of 4G items resumed with 1000 items: MP_MORE, pos 1005");
        free(p);
    }
}

/* ---- random cross-checks against msgpack-c -------------------------------- */

static void pack_random(msgpack_packer *pk, int depth)
{
    static const char text[300] = "the quick brown fox jumps over the lazy dog";
    unsigned kind = (unsigned)(xrand() % (depth >= 6 ? 12 : 16));
    switch (kind) {
    case 0: msgpack_pack_int64(pk, (int64_t)xrand() >> (xrand() % 64)); break;
    case 1: msgpack_pack_uint64(pk, xrand() >> (xrand() % 64)); break;
    case 2: msgpack_pack_fix_int16(pk, (int16_t)xrand()); break;
    case 3: msgpack_pack_fix_uint32(pk, (uint32_t)xrand()); break;
    case 4: msgpack_pack_float(pk, (float)(xrand() % 1000) / 7.0f); break;
    case 5: msgpack_pack_double(pk, (double)xrand()); break;
    case 6: msgpack_pack_nil(pk); break;
    case 7: (xrand() & 1) ? msgpack_pack_true(pk) : msgpack_pack_false(pk); break;
    case 8: msgpack_pack_str_with_body(pk, text, (size_t)(xrand() % 300)); break;
    case 9: msgpack_pack_bin_with_body(pk, text, (size_t)(xrand() % 300)); break;
    case 10: msgpack_pack_ext_with_body(pk, text, (size_t)(xrand() % 20), (int8_t)xrand()); break;
    case 11: msgpack_pack_str_with_body(pk, text, (size_t)(xrand() % 8)); break;
    case 12: case 13: {
        size_t n = (size_t)(xrand() % (xrand() % 8 ? 5 : 20));
        msgpack_pack_array(pk, n);
        for (size_t i = 0; i < n; i++)
            pack_random(pk, depth + 1);
        break;
    }
    default: {
        size_t n = (size_t)(xrand() % (xrand() % 8 ? 5 : 18));
        msgpack_pack_map(pk, n);
        for (size_t i = 0; i < n; i++) {
            pack_random(pk, depth + 1);
            pack_random(pk, depth + 1);
        }
        break;
    }
    }
}

static void test_random_objects(void)
{
    pbuf b;
    pb_init(&b);
    int ok_len = 1, ok_inc = 1, ok_mc = 1;
    for (int iter = 0; iter < 1500; iter++) {
        pb_reset(&b);
        pack_random(&b.pk, 0);
        const uint8_t *p = (const uint8_t *)b.sb.data;
        size_t n = b.sb.size;
        /* stream of the object followed by another object */
        pack_random(&b.pk, 0);
        p = (const uint8_t *)b.sb.data;
        const char *why;
        if (mp_skip(p, b.sb.size, &why) != n)
            ok_len = 0;
        /* random-sized increments */
        mp_scan s;
        mp_scan_init(&s);
        size_t k = 0;
        int rc;
        while ((rc = mp_scan_step(&s, p, k)) == MP_MORE) {
            if (s.need <= k || s.need > n) {
                ok_inc = 0;
                break;
            }
            k += 1 + (size_t)(xrand() % 40);
            if (k > n)
                k = n;
        }
        if (rc != MP_DONE || s.pos != n)
            ok_inc = 0;
        size_t off;
        if (mc_unpack(p, n, &off) != MSGPACK_UNPACK_SUCCESS || off != n)
            ok_mc = 0;
    }
    CHECK(ok_len, "1500 random objects: mp_skip finds each one's exact length");
    CHECK(ok_inc, "1500 random objects: random-sized increments reach the same end");
    CHECK(ok_mc, "1500 random objects: msgpack-c agrees on every length");
    pb_free(&b);
}

/* Random bytes: the framer's verdict must match msgpack-c's. 0xdd and 0xdf
 * (array32/map32) are left out because msgpack-c allocates the claimed count
 * up front, which for random counts is gigabytes. */
static void test_random_bytes(void)
{
    static const uint8_t interesting[] = {0x00, 0x7f, 0x80, 0x81, 0x82, 0x8f, 0x90, 0x91, 0x92, 0x9f,
                                          0xa0, 0xa1, 0xa3, 0xbf, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5,
                                          0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf,
                                          0xd0, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xdb,
                                          0xdc, 0xde, 0xe0, 0xff, 0x01, 0x02};
    int agree = 1, nodone = 0, nomore = 0, noerr = 0;
    char first_mismatch[160] = "";
    for (int iter = 0; iter < 20000; iter++) {
        size_t n = (size_t)(xrand() % 48);
        uint8_t *p = malloc(n ? n : 1);
        for (size_t i = 0; i < n; i++) {
            uint8_t c;
            if (xrand() % 3)
                c = interesting[xrand() % sizeof interesting];
            else
                c = (uint8_t)xrand();
            if (c == 0xdd || c == 0xdf)
                c = 0x90;
            p[i] = c;
        }
        mp_scan s;
        mp_scan_init(&s);
        int rc = mp_scan_step(&s, p, n);
        size_t off;
        int mrc = mc_unpack(p, n, &off);
        int match;
        if (rc == MP_DONE) {
            nodone++;
            match = (mrc == MSGPACK_UNPACK_SUCCESS || mrc == MSGPACK_UNPACK_EXTRA_BYTES) && off == s.pos;
        } else if (rc == MP_MORE) {
            nomore++;
            match = mrc == MSGPACK_UNPACK_CONTINUE;
        } else {
            noerr++;
            match = mrc == MSGPACK_UNPACK_PARSE_ERROR || mrc == MSGPACK_UNPACK_NOMEM_ERROR;
        }
        if (!match && agree) {
            agree = 0;
            int k = snprintf(first_mismatch, sizeof first_mismatch, "framer %d pos %zu, msgpack-c %d off %zu:", rc,
                             s.pos, mrc, off);
            for (size_t i = 0; i < n && k < 150; i++)
                k += snprintf(first_mismatch + k, sizeof first_mismatch - (size_t)k, " %02x", p[i]);
        }
        free(p);
    }
    CHECK(agree, "20000 random byte strings: framer and msgpack-c agree (done %d, more %d, error %d) %s",
          nodone, nomore, noerr, first_mismatch);
    CHECK(nodone > 1000 && nomore > 1000 && noerr > 100, "random byte strings reach all three outcomes");
}

int main(void)
{
    test_scalars();
    test_strings_bins_exts();
    test_containers();
    test_invalid();
    test_need();
    test_depth();
    test_huge();
    test_random_objects();
    test_random_bytes();
    return check_done();
}
