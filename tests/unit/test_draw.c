/* Unit tests for drawing (common/post/draw.c, common/post/font.c):
 *   1. box outlines: the exact pixels on a small canvas, fractional and
 *      empty boxes, thick lines, clipping at every edge, boxes outside
 *   2. text: pixels only inside the text's cells, scaled, clipped; the font
 *      reads UTF-8 as one character and unknown bytes as '?'
 *   3. labels: placed above / inside / below, always inside the canvas;
 *      text readable on its background
 *   4. class colours: deterministic, neighbours distinct
 *   5. shrinking an image: exact copy, area means
 *   6. file names from ids: escaping, length cut with a hash, duplicates
 *   7. detections from records: names, thresh, errors naming the path
 *   8. a scene: detection in its class colour, truth dashed in two tones */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "yolo/post/draw.h"
#include "yolo/post/font.h"

#include "check.h"
#include "testutil.h"

static const draw_rgb red = {255, 0, 0}, white = {255, 255, 255};

static const unsigned char *px(const draw_canvas *cv, int x, int y)
{
    return cv->p + ((size_t)y * cv->w + x) * 3;
}

static int is(const draw_canvas *cv, int x, int y, draw_rgb c)
{
    const unsigned char *p = px(cv, x, y);
    return p[0] == c.r && p[1] == c.g && p[2] == c.b;
}

static int is_black(const draw_canvas *cv, int x, int y)
{
    return is(cv, x, y, (draw_rgb){0, 0, 0});
}

/* Pixels of colour c, and whether all of them lie in [x0, x1) x [y0, y1). */
static int count_in(const draw_canvas *cv, draw_rgb c, int x0, int y0, int x1, int y1, int *inside)
{
    int n = 0;
    *inside = 1;
    for (int y = 0; y < cv->h; y++)
        for (int x = 0; x < cv->w; x++)
            if (is(cv, x, y, c)) {
                n++;
                if (x < x0 || x >= x1 || y < y0 || y >= y1)
                    *inside = 0;
            }
    return n;
}

/* Pixels of colour c in [x0, x1) x [y0, y1). */
static int count_region(const draw_canvas *cv, draw_rgb c, int x0, int y0, int x1, int y1)
{
    int n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++)
            n += is(cv, x, y, c);
    return n;
}

static void clear(draw_canvas *cv) { memset(cv->p, 0, (size_t)cv->w * cv->h * 3); }

static void outline(draw_canvas *cv, box b, int t)
{
    draw_rect r;
    clear(cv);
    if (draw_rect_of(cv, b, &r))
        draw_outline(cv, r, t, red, 0);
}

static void test_boxes(void)
{
    draw_canvas cv;
    yerr err;
    if (draw_canvas_alloc(&cv, 10, 8, &err) < 0) {
        CHECK(0, "canvas: %s", err.msg);
        return;
    }
    outline(&cv, (box){2, 2, 7, 6}, 1);
    int inside, ring = 1;
    for (int y = 0; y < 8; y++)
        for (int x = 0; x < 10; x++) {
            int want = x >= 2 && x < 7 && y >= 2 && y < 6 && (x == 2 || x == 6 || y == 2 || y == 5);
            ring &= is(&cv, x, y, red) == want && (want || is_black(&cv, x, y));
        }
    CHECK(ring, "box [2,2,7,6], 1 px: exactly the ring of pixels x 2..6, y 2..5");
    CHECK(count_in(&cv, red, 2, 2, 7, 6, &inside) == 14 && inside, "that ring is 14 pixels");

    outline(&cv, (box){2.5, 2.4, 6.2, 5.1}, 1);
    CHECK(count_in(&cv, red, 2, 2, 7, 6, &inside) == 14 && inside,
          "a fractional box covers the pixels it touches: the same ring");
    outline(&cv, (box){3, 1, 3, 4}, 1);
    CHECK(count_in(&cv, red, 3, 1, 4, 4, &inside) == 3 && inside,
          "a box of zero width is drawn one pixel wide");
    outline(&cv, (box){7, 6, 2, 2}, 1);
    CHECK(count_in(&cv, red, 2, 2, 7, 6, &inside) == 14 && inside,
          "x2 < x1, y2 < y1: the same box");
    outline(&cv, (box){1, 1, 5, 5}, 3);
    CHECK(count_in(&cv, red, 1, 1, 5, 5, &inside) == 16 && inside,
          "a line thicker than half the box fills it and stays inside");
    outline(&cv, (box){1, 1, 9, 7}, 2);
    CHECK(count_in(&cv, red, 1, 1, 9, 7, &inside) == 48 - 8 && inside,
          "a 2-pixel line: 8x6 box minus its 4x2 hole");

    outline(&cv, (box){-5, -3, 4, 3}, 1);
    CHECK(count_in(&cv, red, 0, 0, 4, 3, &inside) == 4 + 4 + 2 && inside && is(&cv, 0, 0, red),
          "clipped at the top-left: drawn along the canvas edges");
    outline(&cv, (box){6, 5, 40, 30}, 1);
    CHECK(count_in(&cv, red, 6, 5, 10, 8, &inside) == 4 + 4 + 2 && inside && is(&cv, 9, 7, red),
          "clipped at the bottom-right");
    outline(&cv, (box){-1e300, -1e300, 1e300, 1e300}, 1);
    CHECK(count_in(&cv, red, 0, 0, 10, 8, &inside) == 2 * 10 + 2 * 6 && inside,
          "a huge box: the canvas border");
    draw_rect r;
    CHECK(!draw_rect_of(&cv, (box){10, 0, 15, 5}, &r), "a box right of the canvas: nothing");
    CHECK(!draw_rect_of(&cv, (box){-6, -6, 0, 0}, &r),
          "a box ending at the top-left corner: nothing");
    CHECK(!draw_rect_of(&cv, (box){2, 8, 5, 9}, &r), "a box below the canvas: nothing");
    CHECK(draw_rect_of(&cv, (box){9.5, 7.5, 9.5, 7.5}, &r) && r.x0 == 9 && r.x1 == 10 &&
              r.y0 == 7 && r.y1 == 8,
          "a point in the last pixel: that pixel");

    draw_fill(&cv, -3, -3, 100, 100, white);
    CHECK(count_in(&cv, white, 0, 0, 10, 8, &inside) == 80 && inside, "a fill is clipped");
    draw_canvas_free(&cv);
}

/* Font pixels set in the first n characters of s. */
static int font_ink(const char *s, size_t len)
{
    int n = 0, ch;
    size_t pos = 0;
    while ((ch = font_next(s, len, &pos)) >= 0)
        for (int y = 0; y < FONT_H; y++)
            for (int x = 0; x < FONT_W; x++)
                n += font_pixel(ch, x, y);
    return n;
}

static void test_text(void)
{
    draw_canvas cv;
    yerr err;
    if (draw_canvas_alloc(&cv, 40, 24, &err) < 0) {
        CHECK(0, "canvas: %s", err.msg);
        return;
    }
    int inside;
    draw_text(&cv, 1, 2, "Ag", 2, 1, white);
    int n = count_in(&cv, white, 1, 2, 1 + 2 * FONT_ADV, 2 + FONT_H, &inside);
    CHECK(n == font_ink("Ag", 2) && n > 20 && inside,
          "text at scale 1: its glyphs' pixels (%d), in its cells", n);
    CHECK(!is(&cv, 1, 2, white) && is(&cv, 2, 2, white), "'A' starts with .###. in its top row");
    CHECK(is_black(&cv, 1 + FONT_W, 4), "the column between glyphs is blank");
    CHECK(count_in(&cv, white, 1 + FONT_ADV, 2 + 7, 1 + 2 * FONT_ADV, 2 + 9, &inside) > 0,
          "'g' has a descender below row 7");
    clear(&cv);
    draw_text(&cv, 3, 1, "Ag", 2, 2, white);
    CHECK(count_in(&cv, white, 3, 1, 3 + 4 * FONT_ADV, 1 + 2 * FONT_H, &inside) == 4 * n && inside,
          "scale 2: four times the pixels, in cells twice as big");
    clear(&cv);
    draw_text(&cv, 30, 20, "WWWWWW", 6, 2, white);
    CHECK(count_in(&cv, white, 30, 20, 40, 24, &inside) > 0 && inside,
          "text running off the right and bottom is clipped");

    CHECK(font_count("dog 0.87", 8) == 8, "ASCII: one character a byte");
    CHECK(font_count("caf\xc3\xa9", 5) == 4, "UTF-8 'e acute': one character");
    size_t pos = 3;
    CHECK(font_next("caf\xc3\xa9", 5, &pos) == '?' && pos == 5, "drawn as '?', both bytes read");
    pos = 0;
    CHECK(font_next("\x01", 1, &pos) == '?' && font_next("\x01", 1, &pos) == -1,
          "a control byte is '?', then the end");
    int blank = 0, inked = 1;
    for (int ch = 33; ch <= 126; ch++) {
        char c = (char)ch;
        inked &= font_ink(&c, 1) > 0;
    }
    blank = font_ink(" ", 1);
    CHECK(inked && blank == 0, "every printable glyph has ink, the space none");
    CHECK(!font_pixel('A', -1, 0) && !font_pixel('A', FONT_W, 0) && !font_pixel(200, 1, 1),
          "outside a cell, or a byte past ASCII: blank");
    draw_canvas_free(&cv);
}

static int rect_inside(const draw_canvas *cv, draw_rect l)
{
    return l.x0 >= 0 && l.y0 >= 0 && l.x1 <= cv->w && l.y1 <= cv->h;
}

static void test_labels(void)
{
    draw_canvas cv;
    yerr err;
    if (draw_canvas_alloc(&cv, 100, 60, &err) < 0) {
        CHECK(0, "canvas: %s", err.msg);
        return;
    }
    int lw = draw_label_w("dog 0.87", 8, 1), lh = draw_label_h(1);
    CHECK(lw == 8 * FONT_ADV + 1 && lh == FONT_H + 1, "label size: %dx%d", lw, lh);
    CHECK(draw_label_w("dog 0.87", 8, 3) == 3 * lw && draw_label_h(3) == 3 * lh, "it scales");
    draw_rect b = {20, 30, 50, 50};
    draw_rect l = draw_label_place(&cv, b, lw, lh, 0);
    CHECK(l.x0 == 20 && l.y1 == 30 && l.x1 - l.x0 == lw,
          "room above: just above the top-left corner");
    l = draw_label_place(&cv, (draw_rect){20, 3, 50, 50}, lw, lh, 0);
    CHECK(l.x0 == 20 && l.y0 == 3, "no room above: inside, at the top");
    l = draw_label_place(&cv, b, lw, lh, 1);
    CHECK(l.x0 == 20 && l.y0 == 50, "below: just under the bottom-left corner");
    l = draw_label_place(&cv, (draw_rect){20, 30, 50, 55}, lw, lh, 1);
    CHECK(l.y1 == 55, "no room below: inside, at the bottom");
    l = draw_label_place(&cv, (draw_rect){90, 30, 100, 50}, lw, lh, 0);
    CHECK(l.x1 == 100 && rect_inside(&cv, l), "at the right edge: moved left into the canvas");
    l = draw_label_place(&cv, (draw_rect){10, 0, 20, 5}, lw, 80, 0);
    CHECK(l.y0 == 0, "taller than the canvas: at its top");
    l = draw_label_place(&cv, (draw_rect){10, 10, 20, 20}, 300, lh, 0);
    CHECK(l.x0 == 0, "wider than the canvas: at its left edge");
    int all_inside = 1;
    for (int y = 0; y < 60; y += 3)
        for (int x = 0; x < 100; x += 3)
            for (int below = 0; below < 2; below++)
                all_inside &= rect_inside(
                    &cv, draw_label_place(&cv, (draw_rect){x, y, x + 1, y + 1}, lw, lh, below));
    CHECK(all_inside, "a label that fits is inside the canvas wherever its box is");

    draw_rgb yellow = {250, 230, 20}, navy = {10, 20, 90};
    draw_label(&cv, b, "dog 0.87", 8, 1, yellow, 0);
    int inside;
    int bg = count_in(&cv, yellow, 20, 30 - lh, 20 + lw, 30, &inside);
    int txt = count_region(&cv, (draw_rgb){0, 0, 0}, 20, 30 - lh, 20 + lw, 30);
    CHECK(inside && bg + txt == lw * lh && txt == font_ink("dog 0.87", 8),
          "a label on yellow: filled, with black text (%d px)", txt);
    CHECK(draw_text_color(yellow).r == 0 && draw_text_color(navy).r == 255 &&
              draw_text_color(white).r == 0 && draw_text_color((draw_rgb){0, 0, 0}).r == 255,
          "text colour: black on light, white on dark");
    draw_canvas_free(&cv);
}

static int colour_dist(draw_rgb a, draw_rgb b)
{
    return abs(a.r - b.r) + abs(a.g - b.g) + abs(a.b - b.b);
}

static void test_colours(void)
{
    int stable = 1, neighbours = 1, min = 1000, min_rest = 1000;
    for (int c = 0; c < 80; c++) {
        draw_rgb a = draw_class_color(c), b = draw_class_color(c + 1);
        stable &= colour_dist(a, draw_class_color(c)) == 0;
        int d = colour_dist(a, b);
        neighbours &= d >= 150;
        min = d < min ? d : min;
        for (int k = 2; k <= 20; k++) {
            int e = colour_dist(a, draw_class_color(c + k));
            min_rest = e < min_rest ? e : min_rest;
        }
    }
    CHECK(stable, "a class always gets the same colour");
    CHECK(neighbours, "classes c and c+1 differ clearly (smallest L1 distance %d)", min);
    CHECK(min_rest >= 40, "classes up to 20 apart still differ (smallest L1 distance %d)",
          min_rest);
    draw_rgb c0 = draw_class_color(0);
    CHECK(c0.r == 255 && c0.g < 40 && c0.b < 40, "class 0 is red");
    draw_rgb big = draw_class_color(999999);
    CHECK(big.r || big.g || big.b, "a large class index gets a colour");
}

static void test_shrink(void)
{
    img im = {0};
    draw_canvas cv = {0};
    yerr err;
    if (img_alloc(&im, 4, 2, 3, &err) < 0) {
        CHECK(0, "img: %s", err.msg);
        return;
    }
    for (int i = 0; i < 8; i++) {
        im.data[i] = (float)(i * 30) / 255.0f;     /* R: 0, 30, ..., 210 */
        im.data[8 + i] = 1.0f;                     /* G: 255 */
        im.data[16 + i] = (float)(i % 2) / 255.0f; /* B: 0, 1 */
    }
    int exact = draw_canvas_from_img(&cv, &im, 4, 2, &err) == 0;
    for (int i = 0; exact && i < 8; i++)
        exact = cv.p[i * 3] == i * 30 && cv.p[i * 3 + 1] == 255 && cv.p[i * 3 + 2] == i % 2;
    CHECK(exact, "the same size: the image's bytes exactly");
    draw_canvas_free(&cv);
    int ok = draw_canvas_from_img(&cv, &im, 2, 1, &err) == 0;
    /* left half: R of pixels 0, 1, 4, 5 = 0, 30, 120, 150 -> 75 */
    CHECK(ok && cv.p[0] == 75 && cv.p[1] == 255 && cv.p[3] == 135,
          "half size: each pixel the mean of its 2x2 block (%d, %d)", ok ? cv.p[0] : -1,
          ok ? cv.p[3] : -1);
    draw_canvas_free(&cv);
    CHECK(draw_canvas_from_img(&cv, &im, 5, 2, &err) < 0, "no enlarging");
    img_free(&im);
}

static void test_stems(void)
{
    char s[DRAW_STEM_MAX + 24];
    draw_file_stem("000005", 6, s);
    CHECK(strcmp(s, "000005") == 0, "a VOC id is its own name");
    draw_file_stem("a/b c", 5, s);
    CHECK(strcmp(s, "a%2Fb%20c") == 0, "'/' and ' ' are escaped: %s", s);
    draw_file_stem(".hidden.x", 9, s);
    CHECK(strcmp(s, "%2Ehidden.x") == 0, "a leading '.' is escaped, a later one kept: %s", s);
    draw_file_stem("..", 2, s);
    CHECK(strcmp(s, "%2E.") == 0, "'..' cannot name the parent folder: %s", s);
    draw_file_stem("~%", 2, s);
    CHECK(strcmp(s, "%7E%25") == 0, "'~' and '%%' are escaped: %s", s);
    draw_file_stem("caf\xc3\xa9\n", 6, s);
    CHECK(strcmp(s, "caf%C3%A9%0A") == 0, "UTF-8 and control bytes: %s", s);
    draw_file_stem("a\0b", 3, s);
    CHECK(strcmp(s, "a%00b") == 0, "a NUL byte: %s", s);

    char id[400], s2[DRAW_STEM_MAX + 24];
    memset(id, 'a', sizeof id);
    size_t n = draw_file_stem(id, 300, s);
    CHECK(n == DRAW_STEM_MAX && strlen(s) == n && s[n - 17] == '~',
          "a 300-byte id: cut to %d bytes ending in ~hash", DRAW_STEM_MAX);
    id[299] = 'b';
    draw_file_stem(id, 300, s2);
    CHECK(strcmp(s, s2) != 0 && memcmp(s, s2, n - 16) == 0,
          "two long ids differing at the end: different hashes");
    memset(id, '/', sizeof id);
    n = draw_file_stem(id, 100, s);
    CHECK(n <= DRAW_STEM_MAX && s[n - 17] == '~' && (n - 17) % 3 == 0,
          "escapes are never cut in half (%zu bytes)", n);
    n = draw_file_stem(id, 66, s);
    CHECK(n == 198 && !strchr(s, '~'), "66 escaped bytes (198) fit whole");

    draw_stems st = {0};
    strcpy(s, "x");
    CHECK(draw_stems_claim(&st, s) == 0 && strcmp(s, "x") == 0, "a new stem is kept");
    strcpy(s, "x");
    CHECK(draw_stems_claim(&st, s) == 1 && strcmp(s, "x~2") == 0, "the same stem again: x~2");
    strcpy(s, "x");
    CHECK(draw_stems_claim(&st, s) == 1 && strcmp(s, "x~3") == 0, "and again: x~3");
    int unique = 1;
    for (int i = 0; i < 3000; i++) {
        snprintf(s, sizeof s, "id%d", i);
        unique &= draw_stems_claim(&st, s) == 0;
    }
    CHECK(unique && st.n == 3003, "3000 different ids: all kept as they are (the set grows)");
    draw_stems_free(&st);
}

/* A record {id, detections: [...]} read back through the record reader. */
typedef struct one_rec {
    pbuf pb;
    rec_reader *rd;
    rec r;
} one_rec;

static int read_back(one_rec *o)
{
    yerr err;
    rec_init(&o->r);
    o->rd = rec_reader_new_mem(o->pb.sb.data, o->pb.sb.size, "<mem>", &err);
    return o->rd && rec_read(o->rd, &o->r, &err) == 1 ? 0 : -1;
}

static void done(one_rec *o)
{
    rec_free(&o->r);
    rec_reader_free(o->rd);
    pb_free(&o->pb);
}

static void pack_det(pbuf *b, int cls, const char *name, double score, double x1)
{
    msgpack_pack_map(&b->pk, name ? 4 : 3);
    pb_str(b, "class");
    msgpack_pack_int(&b->pk, cls);
    if (name) {
        pb_str(b, "name");
        pb_str(b, name);
    }
    pb_str(b, "score");
    msgpack_pack_double(&b->pk, score);
    pb_str(b, "bbox");
    msgpack_pack_array(&b->pk, 4);
    msgpack_pack_double(&b->pk, x1);
    msgpack_pack_int(&b->pk, 2);
    msgpack_pack_double(&b->pk, x1 + 10);
    msgpack_pack_int(&b->pk, 12);
}

static void test_detections(void)
{
    one_rec o;
    draw_list l = {0};
    detlist dl = {0};
    yerr err;
    pb_init(&o.pb);
    msgpack_pack_map(&o.pb.pk, 2);
    pb_str(&o.pb, "id");
    pb_str(&o.pb, "a");
    pb_str(&o.pb, "detections");
    msgpack_pack_array(&o.pb.pk, 3);
    pack_det(&o.pb, 0, "dog", 0.9, 1);
    pack_det(&o.pb, 1, NULL, 0.2, 2);
    pack_det(&o.pb, 7, "cat", 0.5, 3);
    if (read_back(&o) < 0) {
        CHECK(0, "record read back");
        return;
    }
    int rc = draw_get_detections(&o.r, &dl, &l, 0, NULL, &err);
    CHECK(rc == 1 && l.n == 3, "three detections read");
    CHECK(l.n == 3 && l.v[0].name_len == 3 && memcmp(l.v[0].name, "dog", 3) == 0 &&
              l.v[0].score == 0.9 && l.v[0].bbox.x2 == 11 && l.v[0].bbox.y2 == 12 &&
              l.v[1].name_len == 0 && l.v[2].cls == 7,
          "their fields (an integer coordinate is taken as a number)");
    l.n = 0;
    rc = draw_get_detections(&o.r, &dl, &l, 0.5, NULL, &err);
    CHECK(rc == 1 && l.n == 2 && l.v[1].score == 0.5, "thresh 0.5 keeps scores >= 0.5");
    names nm = {0};
    names_add(&nm, "zero", 4);
    names_add(&nm, "one", 3);
    l.n = 0;
    draw_get_detections(&o.r, &dl, &l, 0, &nm, &err);
    CHECK(l.n == 3 && strcmp(l.v[0].name, "zero") == 0 && strcmp(l.v[1].name, "one") == 0 &&
              memcmp(l.v[2].name, "cat", 3) == 0,
          "--names replaces the names it has, the record's stay for the rest");
    names_free(&nm);
    done(&o);

    /* bad detections: each an error naming the path */
    static const char *const why[] = {"key 'detections[1]': 'score'", "key 'detections[0]': 'bbox'",
                                      "key 'detections[0]': 'class'",
                                      "key 'detections[0]': expected a map"};
    for (int k = 0; k < 4; k++) {
        pb_init(&o.pb);
        msgpack_pack_map(&o.pb.pk, 1);
        pb_str(&o.pb, "detections");
        msgpack_pack_array(&o.pb.pk, 2);
        if (k == 0) {
            pack_det(&o.pb, 0, "dog", 0.9, 1);
            pack_det(&o.pb, 0, "dog", NAN, 1);
        } else if (k == 1) {
            pack_det(&o.pb, 0, "dog", 0.9, INFINITY);
            pack_det(&o.pb, 0, "dog", 0.9, 1);
        } else if (k == 2) {
            pack_det(&o.pb, -1, "dog", 0.9, 1);
            pack_det(&o.pb, 0, "dog", 0.9, 1);
        } else {
            msgpack_pack_int(&o.pb.pk, 3);
            msgpack_pack_int(&o.pb.pk, 3);
        }
        read_back(&o);
        l.n = 0;
        rc = draw_get_detections(&o.r, &dl, &l, 0, NULL, &err);
        CHECK(rc == -1 && err.code == YOLO_EINPUT && strstr(err.msg, why[k]),
              "bad detection %d: exit 2 naming %s (%s)", k, why[k], rc < 0 ? err.msg : "no error");
        done(&o);
    }
    pb_init(&o.pb);
    msgpack_pack_map(&o.pb.pk, 1);
    pb_str(&o.pb, "id");
    pb_str(&o.pb, "a");
    read_back(&o);
    l.n = 0;
    CHECK(draw_get_detections(&o.r, &dl, &l, 0, NULL, &err) == 0 && l.n == 0, "no detections: 0");
    done(&o);
    draw_list_free(&l);
    detlist_free(&dl);
}

static void test_scene(void)
{
    draw_canvas cv;
    yerr err;
    if (draw_canvas_alloc(&cv, 80, 60, &err) < 0) {
        CHECK(0, "canvas: %s", err.msg);
        return;
    }
    draw_item v[2] = {
        {.bbox = {5, 5, 75, 55}, .cls = 0, .truth = 1, .name = "dog", .name_len = 3},
        {.bbox = {10, 30, 40, 50}, .cls = 3, .score = 0.87, .name = "dog", .name_len = 3},
    };
    draw_style st = draw_style_for(80, 60);
    CHECK(st.line == 1 && st.font == 1, "a small canvas: 1-pixel lines, font scale 1");
    draw_style big = draw_style_for(1920, 1080), voc = draw_style_for(500, 375);
    CHECK(big.line == 5 && big.font == 4 && voc.line == 2 && voc.font == 2,
          "full HD: lines 5, font 4; VOC's 500x375: 2 and 2");
    draw_scene(&cv, v, 2, 1, 1, st);
    draw_rgb c3 = draw_class_color(3);
    CHECK(is(&cv, 39, 40, c3) && is(&cv, 25, 49, c3),
          "the detection's right and bottom edges in its colour");
    int w = 0, k = 0;
    for (int x = 5; x < 75; x++) {
        w += is(&cv, x, 5, white);
        k += is_black(&cv, x, 5);
    }
    CHECK(w > 20 && k > 20 && w + k == 70,
          "the truth's top edge: dashes of white and black (%d, %d)", w, k);
    int lh = draw_label_h(1);
    CHECK(is(&cv, 10, 30 - lh, c3) && is(&cv, 10, 29, c3),
          "the detection's label sits just above its box");
    CHECK(is(&cv, 5, 55 - lh, white),
          "the truth's label is inside its box at the bottom (no room below)");
    draw_canvas_free(&cv);

    if (draw_canvas_alloc(&cv, 40, 30, &err) == 0) {
        draw_scene(&cv, v, 2, 0.5, 0.5, st);
        CHECK(is(&cv, 19, 16, c3) && is(&cv, 5, 16, c3) && is(&cv, 12, 15, c3) &&
                  !is(&cv, 20, 16, c3),
              "scaled by 0.5: the detection's box is [5, 20) x [15, 25)");
        draw_canvas_free(&cv);
    }
}

int main(void)
{
    test_boxes();
    test_text();
    test_labels();
    test_colours();
    test_shrink();
    test_stems();
    test_detections();
    test_scene();
    return check_done();
}
