/* Unit tests for the darknet cfg parser (common/net/cfg.c): every cfg darknet
 * ships (copied into tests/data/cfg) parses; typos, unknown sections,
 * duplicates and bad values are errors naming file and line; lookups are
 * typed and range-checked; keys no getter read are listed. */
#include <stdio.h>
#include <string.h>

#include "yolo/net/cfg.h"

#include "check.h"

static int parse(cfg *c, const char *text, yerr *err)
{
    return cfg_parse(c, "t.cfg", text, strlen(text), err);
}

/* Parsing text fails with a message containing want. */
static void bad(const char *text, const char *want, const char *name)
{
    cfg c;
    yerr err = {0};
    int rc = parse(&c, text, &err);
    CHECK(rc < 0 && err.code == YOLO_EINPUT && strstr(err.msg, want), "%s (%s)", name, err.msg);
}

static void test_darknet_cfgs(void)
{
    static const struct { const char *file; int sections; } want[] = {
        {"darknet19.cfg", 27}, {"darknet53.cfg", 79}, {"yolov1-tiny.cfg", 17},
        {"yolov1.cfg", 33}, {"yolov2-tiny-voc.cfg", 17}, {"yolov2-tiny.cfg", 17},
        {"yolov2-voc.cfg", 33}, {"yolov2.cfg", 33}, {"yolov3-spp.cfg", 115},
        {"yolov3-tiny.cfg", 25}, {"yolov3-voc.cfg", 108}, {"yolov3.cfg", 108},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "tests/data/cfg/%s", want[i].file);
        cfg c;
        yerr err = {0};
        int rc = cfg_load(&c, path, &err);
        CHECK(rc == 0 && c.n == want[i].sections && c.s[0].type == CFG_NET,
              "%s parses into %d sections (%s)", want[i].file, want[i].sections,
              rc ? err.msg : "ok");
        if (rc == 0)
            cfg_free(&c);
    }
}

static void count(void *ctx, const cfg *cc, const cfg_section *s, const cfg_kv *kv)
{
    (void)cc, (void)s, (void)kv;
    ++*(int *)ctx;
}

static void test_syntax(void)
{
    cfg c;
    yerr err = {0};
    const char *text = "# comment\r\n[net]\r\nwidth = 416\nheight=416 \n; also a comment\n\n"
                       "[convolutional]\nbatch_normalize=1\nfilters=32\nsize=3\nstride=1\n"
                       "pad=1\nactivation=leaky\n[conv]\nfilters=8\n"
                       "[region]\nanchors = 0.57273, 0.677385, 1.87446,\nnum=1\n[max]\n";
    int rc = parse(&c, text, &err);
    CHECK(rc == 0 && c.n == 5, "CRLF, comments, blank lines, spaces and aliases parse (%s)",
          rc ? err.msg : "ok");
    if (rc)
        return;
    CHECK(c.s[2].type == CFG_CONVOLUTIONAL && c.s[4].type == CFG_MAXPOOL && c.s[2].line == 14,
          "[conv] and [max] are aliases, with their line numbers");
    int w = 0, f = 0;
    CHECK(cfg_int(&c, &c.s[0], "width", 0, 1, 10000, &w, &err) == 0 && w == 416, "width=416");
    CHECK(cfg_int(&c, &c.s[0], "channels", 3, 1, 10000, &w, &err) == 0 && w == 3,
          "absent key gives the default");
    CHECK(cfg_int(&c, &c.s[1], "filters", 1, 1, 16, &f, &err) < 0 &&
              strstr(err.msg, "t.cfg:9: [convolutional] filters: '32' is not an integer in [1, 16]"),
          "out of range names file, line, section, key (%s)", err.msg);
    float a[8];
    int n = 0;
    rc = cfg_floats(&c, &c.s[3], "anchors", a, 8, &n, &err);
    CHECK(rc == 0 && n == 3 && a[0] == 0.57273f && a[2] == 1.87446f,
          "a float list with spaces and a trailing comma");
    CHECK(cfg_floats(&c, &c.s[3], "anchors", a, 2, &n, &err) < 0 && strstr(err.msg, "more than 2"),
          "a list longer than allowed is an error");
    CHECK(strcmp(cfg_str(&c.s[1], "activation", "linear"), "leaky") == 0, "string value");
    int seen = 0;
    cfg_unused(&c, count, &seen);
    CHECK(seen == 7, "cfg_unused lists the %d keys no getter read", seen);
    cfg_free(&c);
}

static void test_errors(void)
{
    bad("[net]\nwidth=1\n[convolutional]\nfiltres=3\n", "t.cfg:4: [convolutional] has no key 'filtres' (did you mean 'filters'?)",
        "a typo is an error with a suggestion");
    bad("[net]\n[convolutionl]\n", "t.cfg:2: unknown section [convolutionl]", "unknown section");
    bad("[net]\nwidth=1\nwidth=2\n", "t.cfg:3: [net] width given twice (first on line 2)", "duplicate key");
    bad("width=1\n[net]\n", "t.cfg:1: 'width=1' before the first section", "key before any section");
    bad("[convolutional]\n", "first section must be [net]", "first section not [net]");
    bad("[net]\n[net]\n", "[net] may only be the first section", "a second [net]");
    bad("[net]\nwidth\n", "t.cfg:2: expected key=value", "a line without '='");
    bad("[net]\n=3\n", "expected key=value", "an empty key");
    bad("[net\n", "has no ']'", "an unclosed header");
    bad("", "no sections", "an empty file");
    bad("[net]\n[yolo]\nmaskk=1\n", "did you mean 'mask'", "yolo typo");
    bad("[net]\n[route]\nlayer=-1\n", "did you mean 'layers'", "route typo");
    bad("[net]\n[maxpool]\nfilters=3\n", "[maxpool] has no key 'filters'", "a key of another section");
    char nul[] = "[net]\nwi\0dth=1\n";
    cfg c;
    yerr err = {0};
    CHECK(cfg_parse(&c, "t.cfg", nul, sizeof nul - 1, &err) < 0 && strstr(err.msg, "NUL"),
          "a NUL byte is an error");
    static char longline[CFG_MAX_LINE + 64];
    memset(longline, 'a', sizeof longline - 1);
    memcpy(longline, "[net]\nx=", 8);
    CHECK(parse(&c, longline, &err) < 0 && strstr(err.msg, "longer than"), "an over-long line");
    CHECK(cfg_load(&c, "/nonexistent.cfg", &err) < 0 && err.code == YOLO_EIO, "a missing file is an I/O error");
}

static void test_values(void)
{
    cfg c;
    yerr err = {0};
    int rc = parse(&c, "[net]\nbatch=abc\nwidth=3.5\nheight=1e9\nhue=nan\n[yolo]\nmask=0,1,x\nanchors=1,,2\n", &err);
    CHECK(rc == 0, "values are not checked until looked up");
    if (rc)
        return;
    int v;
    float x;
    CHECK(cfg_int(&c, &c.s[0], "batch", 1, 1, 1000, &v, &err) < 0 && strstr(err.msg, "'abc' is not an integer"), "non-number");
    CHECK(cfg_int(&c, &c.s[0], "width", 1, 1, 1000, &v, &err) < 0, "a float where an integer is due");
    CHECK(cfg_int(&c, &c.s[0], "height", 1, 1, 100000, &v, &err) < 0, "an integer out of range");
    CHECK(cfg_float(&c, &c.s[0], "hue", 0, -1, 1, &x, &err) < 0, "nan is not a number in range");
    int m[4], n;
    CHECK(cfg_ints(&c, &c.s[1], "mask", m, 4, &n, 0, 100, &err) < 0 && strstr(err.msg, "item 3 'x'"), "bad list item");
    float a[4];
    CHECK(cfg_floats(&c, &c.s[1], "anchors", a, 4, &n, &err) < 0 && strstr(err.msg, "item 2 is empty"), "empty list item");
    cfg_free(&c);
}

int main(void)
{
    test_darknet_cfgs();
    test_syntax();
    test_errors();
    test_values();
    return check_done();
}
