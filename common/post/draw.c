/* Boxes and labels on pictures (include/yolo/post/draw.h): the raster, the
 * scene of one record, file names from ids, the contact sheet, and the
 * draw stage's work on each record. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "yolo/post/draw.h"
#include "yolo/post/font.h"
#include "yolo/image/recimage.h"
#include "yolo/post/rescale.h"

/* ---- raster ------------------------------------------------------------- */

int draw_canvas_alloc(draw_canvas *cv, int w, int h, yerr *err)
{
    *cv = (draw_canvas){0};
    if (w < 1 || h < 1)
        return yerr_set(err, YOLO_EIO, "a %dx%d picture", w, h);
    cv->p = calloc((size_t)w * (size_t)h, 3);
    if (!cv->p)
        return yerr_set(err, YOLO_EIO, "out of memory for a %dx%d picture", w, h);
    cv->w = w;
    cv->h = h;
    return 0;
}

void draw_canvas_free(draw_canvas *cv)
{
    free(cv->p);
    *cv = (draw_canvas){0};
}

static unsigned char to_byte(double v)
{
    double b = v * 255.0 + 0.5;
    return b <= 0 ? 0 : b >= 255 ? 255 : (unsigned char)b;
}

/* The mean of plane pl over source pixels [x0, x1) x [y0, y1). */
static double area_mean(const float *pl, int sw, int x0, int x1, int y0, int y1)
{
    double s = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++)
            s += pl[(size_t)y * (size_t)sw + (size_t)x];
    return s / ((double)(x1 - x0) * (double)(y1 - y0));
}

int draw_canvas_from_img(draw_canvas *cv, const img *im, int w, int h, yerr *err)
{
    if (im->c != 3 || w < 1 || h < 1 || w > im->w || h > im->h)
        return yerr_set(err, YOLO_EIO, "cannot shrink a %dx%dx%d image to %dx%d", im->w, im->h,
                        im->c, w, h);
    if (draw_canvas_alloc(cv, w, h, err) < 0)
        return -1;
    size_t plane = (size_t)im->w * (size_t)im->h;
    for (int y = 0; y < h; y++) {
        /* destination row y covers source rows [y0, y1): at least one */
        int y0 = (int)((long)y * im->h / h), y1 = (int)((long)(y + 1) * im->h / h);
        if (y1 <= y0)
            y1 = y0 + 1;
        for (int x = 0; x < w; x++) {
            int x0 = (int)((long)x * im->w / w), x1 = (int)((long)(x + 1) * im->w / w);
            if (x1 <= x0)
                x1 = x0 + 1;
            unsigned char *px = cv->p + ((size_t)y * (size_t)w + (size_t)x) * 3;
            for (int c = 0; c < 3; c++)
                px[c] = to_byte(area_mean(im->data + c * plane, im->w, x0, x1, y0, y1));
        }
    }
    return 0;
}

draw_rgb draw_class_color(int cls)
{
    static const double value[3] = {1.0, 0.78, 0.6};
    double h = fmod((double)cls * 0.6180339887498949, 1.0), rgb[3];
    img_hsv_to_rgb(h, 0.9, value[cls % 3], 0, rgb);
    return (draw_rgb){to_byte(rgb[0]), to_byte(rgb[1]), to_byte(rgb[2])};
}

draw_rgb draw_text_color(draw_rgb bg)
{
    double luma = 0.299 * bg.r + 0.587 * bg.g + 0.114 * bg.b;
    return luma >= 128 ? (draw_rgb){0, 0, 0} : (draw_rgb){255, 255, 255};
}

static int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

void draw_fill(draw_canvas *cv, int x0, int y0, int x1, int y1, draw_rgb c)
{
    x0 = clampi(x0, 0, cv->w);
    x1 = clampi(x1, 0, cv->w);
    y0 = clampi(y0, 0, cv->h);
    y1 = clampi(y1, 0, cv->h);
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            unsigned char *px = cv->p + ((size_t)y * (size_t)cv->w + (size_t)x) * 3;
            px[0] = c.r;
            px[1] = c.g;
            px[2] = c.b;
        }
}

/* The pixel span [*a, *b) of the interval [lo, hi] on an axis of n pixels:
 * 0 when it lies outside. */
static int span(double lo, double hi, int n, int *a, int *b)
{
    if (hi < lo) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    double f0 = floor(lo), f1 = ceil(hi);
    if (f1 <= f0)
        f1 = f0 + 1;
    if (f1 <= 0 || f0 >= n)
        return 0;
    *a = (int)fmax(f0, 0);
    *b = (int)fmin(f1, n);
    return 1;
}

int draw_rect_of(const draw_canvas *cv, box b, draw_rect *r)
{
    return span(b.x1, b.x2, cv->w, &r->x0, &r->x1) && span(b.y1, b.y2, cv->h, &r->y0, &r->y1);
}

/* A band of the outline: along x (horizontal) or y, dashed from org. */
typedef struct band {
    int x0, y0, x1, y1;
    int horizontal, org;
} band;

static void draw_band(draw_canvas *cv, band b, draw_rgb c, int dash)
{
    if (dash <= 0) {
        draw_fill(cv, b.x0, b.y0, b.x1, b.y1, c);
        return;
    }
    draw_rgb alt = draw_text_color(c);
    int a0 = b.horizontal ? b.x0 : b.y0, a1 = b.horizontal ? b.x1 : b.y1;
    for (int a = a0; a < a1; a += dash) {
        int end = a + dash < a1 ? a + dash : a1;
        draw_rgb k = ((a - b.org) / dash) % 2 ? alt : c;
        if (b.horizontal)
            draw_fill(cv, a, b.y0, end, b.y1, k);
        else
            draw_fill(cv, b.x0, a, b.x1, end, k);
    }
}

void draw_outline(draw_canvas *cv, draw_rect r, int t, draw_rgb c, int dash)
{
    band sides[4] = {
        {r.x0, r.y0, r.x1, r.y0 + t, 1, r.x0}, /* top */
        {r.x0, r.y1 - t, r.x1, r.y1, 1, r.x0}, /* bottom */
        {r.x0, r.y0, r.x0 + t, r.y1, 0, r.y0}, /* left */
        {r.x1 - t, r.y0, r.x1, r.y1, 0, r.y0}, /* right */
    };
    for (int i = 0; i < 4; i++) {
        /* a band never reaches past the box, however thick the line */
        band b = sides[i];
        b.x0 = clampi(b.x0, r.x0, r.x1);
        b.x1 = clampi(b.x1, r.x0, r.x1);
        b.y0 = clampi(b.y0, r.y0, r.y1);
        b.y1 = clampi(b.y1, r.y0, r.y1);
        draw_band(cv, b, c, dash);
    }
}

void draw_text(draw_canvas *cv, int x, int y, const char *s, size_t len, int scale, draw_rgb c)
{
    size_t pos = 0;
    int ch;
    for (long i = 0; (ch = font_next(s, len, &pos)) >= 0; i++) {
        long cx = x + i * FONT_ADV * scale;
        if (cx >= cv->w)
            break;
        for (int gy = 0; gy < FONT_H; gy++)
            for (int gx = 0; gx < FONT_W; gx++)
                if (font_pixel(ch, gx, gy))
                    draw_fill(cv, (int)cx + gx * scale, y + gy * scale,
                              (int)cx + (gx + 1) * scale, y + (gy + 1) * scale, c);
    }
}

/* A font pixel of margin on the left and top; the blank column after each
 * glyph and the descender rows make the right and bottom margins. */
int draw_label_w(const char *s, size_t len, int scale)
{
    size_t n = font_count(s, len);
    long w = ((long)n * FONT_ADV + 1) * scale;
    return w > 1L << 24 ? 1 << 24 : (int)w;
}

int draw_label_h(int scale) { return (FONT_H + 1) * scale; }

draw_rect draw_label_place(const draw_canvas *cv, draw_rect r, int lw, int lh, int below)
{
    int x = r.x0, y;
    if (below)
        y = r.y1 + lh <= cv->h ? r.y1 : r.y1 - lh;
    else
        y = r.y0 - lh >= 0 ? r.y0 - lh : r.y0;
    if (x + lw > cv->w)
        x = cv->w - lw;
    if (y + lh > cv->h)
        y = cv->h - lh;
    x = x < 0 ? 0 : x;
    y = y < 0 ? 0 : y;
    return (draw_rect){x, y, x + lw, y + lh};
}

void draw_label(draw_canvas *cv, draw_rect r, const char *s, size_t len, int scale, draw_rgb bg,
                int below)
{
    draw_rect l = draw_label_place(cv, r, draw_label_w(s, len, scale), draw_label_h(scale), below);
    draw_fill(cv, l.x0, l.y0, l.x1, l.y1, bg);
    draw_text(cv, l.x0 + scale, l.y0 + scale, s, len, scale, draw_text_color(bg));
}

/* ---- scene -------------------------------------------------------------- */

int draw_list_push(draw_list *l, const draw_item *it)
{
    void *v = l->v;
    if (yvec_fit(&v, &l->cap, l->n + 1, sizeof *l->v) < 0)
        return -1;
    l->v = v;
    l->v[l->n++] = *it;
    return 0;
}

void draw_list_free(draw_list *l)
{
    free(l->v);
    *l = (draw_list){0};
}

/* VOC images (500 x 375) get 2-pixel lines and a font pixel of 2; a
 * 320 x 240 image or a thumbnail 1 and 1; full HD 5 and 4. */
draw_style draw_style_for(int w, int h)
{
    double side = w < h ? w : h;
    long line = lround(side / 200), font = lround(side / 250);
    return (draw_style){line < 1 ? 1 : (int)line, font < 1 ? 1 : (int)font};
}

static box scaled(box b, double sx, double sy)
{
    return (box){b.x1 * sx, b.y1 * sy, b.x2 * sx, b.y2 * sy};
}

/* "name 0.87" for a detection ("#12 name 0.87" when tracked), "name" for a
 * truth; "class 7" when the name is empty. */
static size_t label_text(const draw_item *it, char *buf, size_t cap)
{
    int n = it->has_track ? snprintf(buf, cap, "#%lld ", (long long)it->track) : 0;
    size_t nl = it->name_len > NAMES_MAX_LEN ? NAMES_MAX_LEN : it->name_len;
    if (n < 0 || (size_t)n >= cap)
        n = 0;
    if (nl == 0)
        n += snprintf(buf + n, cap - (size_t)n, "class %d", it->cls);
    else
        n += snprintf(buf + n, cap - (size_t)n, "%.*s", (int)nl, it->name);
    if (!it->truth && n >= 0 && (size_t)n < cap)
        n += snprintf(buf + n, cap - (size_t)n, " %.2f", it->score);
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

static const draw_rgb truth_color = {255, 255, 255};

void draw_scene(draw_canvas *cv, const draw_item *v, size_t n, double sx, double sy,
                draw_style st)
{
    draw_rect r;
    for (size_t i = 0; i < n; i++)
        if (draw_rect_of(cv, scaled(v[i].bbox, sx, sy), &r))
            draw_outline(cv, r, st.line, v[i].truth ? truth_color : draw_class_color(v[i].cls),
                         v[i].truth ? 4 * st.line + 2 : 0);
    char text[NAMES_MAX_LEN + 32];
    for (size_t i = 0; i < n; i++)
        if (draw_rect_of(cv, scaled(v[i].bbox, sx, sy), &r)) {
            size_t len = label_text(&v[i], text, sizeof text);
            draw_label(cv, r, text, len, st.font,
                       v[i].truth ? truth_color : draw_class_color(v[i].cls), v[i].truth);
        }
}

/* ---- records ------------------------------------------------------------ */

/* The name a class is shown with: --names first, then the record's. */
static void use_names(draw_item *it, const names *nm)
{
    if (nm && it->cls < nm->n) {
        it->name = nm->v[it->cls];
        it->name_len = strlen(it->name);
    }
}

int draw_get_detections(rec *r, detlist *scratch, draw_list *l, double thresh, const names *nm,
                        yerr *err)
{
    int rc = rec_get_detections(r, scratch, err);
    if (rc <= 0)
        return rc;
    for (size_t i = 0; i < scratch->n; i++) {
        const ydet *d = &scratch->v[i];
        draw_item it = {.bbox = d->bbox, .cls = d->cls, .score = d->score, .name = d->name,
                        .name_len = d->name_len};
        it.track = d->track;   /* rec_get_detections checked it */
        it.has_track = d->track >= 0;
        use_names(&it, nm);
        if (it.score >= thresh && draw_list_push(l, &it) < 0)
            return yerr_set(err, YOLO_EIO, "out of memory");
    }
    return 1;
}

/* ---- file names ---------------------------------------------------------- */

static uint64_t fnv1a(const char *s, size_t len)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static int safe_byte(unsigned char b, size_t i)
{
    return (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') ||
           b == '_' || b == '-' || (b == '.' && i > 0);
}

size_t draw_file_stem(const char *id, size_t len, char *out)
{
    static const char hex[] = "0123456789ABCDEF";
    enum { HASHED = 17 }; /* "~" and 16 hex digits */
    size_t n = 0, cut = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char b = (unsigned char)id[i];
        int keep = safe_byte(b, i);
        if (n + (keep ? 1 : 3) > DRAW_STEM_MAX) {
            n = cut + (size_t)snprintf(out + cut, HASHED + 1, "~%016llx",
                                       (unsigned long long)fnv1a(id, len));
            return n;
        }
        if (keep)
            out[n++] = (char)b;
        else {
            out[n++] = '%';
            out[n++] = hex[b >> 4];
            out[n++] = hex[b & 15];
        }
        if (n <= DRAW_STEM_MAX - HASHED)
            cut = n; /* the last whole character that leaves room for the hash */
    }
    out[n] = '\0';
    return n;
}

static size_t stems_slot(const draw_stems *s, const char *stem)
{
    size_t i = (size_t)fnv1a(stem, strlen(stem)) & (s->cap - 1);
    while (s->v[i] && strcmp(s->v[i], stem) != 0)
        i = (i + 1) & (s->cap - 1);
    return i;
}

static int stems_grow(draw_stems *s)
{
    size_t cap = s->cap ? s->cap * 2 : 64;
    char **old = s->v;
    size_t oldcap = s->cap;
    s->v = calloc(cap, sizeof *s->v);
    if (!s->v) {
        s->v = old;
        return -1;
    }
    s->cap = cap;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i])
            s->v[stems_slot(s, old[i])] = old[i];
    free(old);
    return 0;
}

int draw_stems_claim(draw_stems *s, char *stem)
{
    if (2 * (s->n + 1) > s->cap && stems_grow(s) < 0)
        return -1;
    size_t base = strlen(stem), i;
    int changed = 0;
    for (unsigned long k = 2; s->v[i = stems_slot(s, stem)]; k++) {
        snprintf(stem + base, 24, "~%lu", k);
        changed = 1;
    }
    if (!(s->v[i] = strdup(stem)))
        return -1;
    s->n++;
    return changed;
}

void draw_stems_free(draw_stems *s)
{
    for (size_t i = 0; i < s->cap; i++)
        free(s->v[i]);
    free(s->v);
    *s = (draw_stems){0};
}

/* ---- contact sheet ------------------------------------------------------- */

static const draw_rgb sheet_bg = {40, 40, 40}, cell_bg = {72, 72, 72};
enum { SHEET_GAP = 4 };

static size_t cell_bytes(const draw_sheet *sh) { return (size_t)sh->cell_w * sh->cell_h * 3; }

/* im drawn on, shrunk to fit thumb x thumb (never enlarged), centred. */
static int fill_cell(draw_sheet *sh, draw_canvas *cell, const img *im, const draw_item *v,
                     size_t n, yerr *err)
{
    double s = fmin(1.0, fmin((double)sh->thumb / im->w, (double)sh->thumb / im->h));
    int tw = clampi((int)lround(im->w * s), 1, im->w);
    int th = clampi((int)lround(im->h * s), 1, im->h);
    draw_canvas t;
    if (draw_canvas_from_img(&t, im, tw, th, err) < 0)
        return -1;
    draw_scene(&t, v, n, (double)tw / im->w, (double)th / im->h, draw_style_for(tw, th));
    int ox = (sh->thumb - tw) / 2, oy = (sh->thumb - th) / 2;
    for (int y = 0; y < th; y++)
        memcpy(cell->p + ((size_t)(oy + y) * cell->w + ox) * 3, t.p + (size_t)y * tw * 3,
               (size_t)tw * 3);
    draw_canvas_free(&t);
    return 0;
}

int draw_sheet_add(draw_sheet *sh, const img *im, const draw_item *v, size_t n, const char *id,
                   size_t id_len, yerr *err)
{
    if (sh->n == sh->max) {
        sh->dropped++;
        return 0;
    }
    if (sh->n == sh->cap) {
        size_t cap = sh->cap ? sh->cap * 2 : 16;
        cap = cap < sh->max ? cap : sh->max;
        unsigned char *p = realloc(sh->cells, cap * cell_bytes(sh));
        if (!p)
            return yerr_set(err, YOLO_EIO, "out of memory for a sheet of %zu cells", cap);
        sh->cells = p;
        sh->cap = cap;
    }
    draw_canvas cell = {sh->cells + sh->n * cell_bytes(sh), sh->cell_w, sh->cell_h};
    draw_fill(&cell, 0, 0, cell.w, cell.h, cell_bg);
    if (fill_cell(sh, &cell, im, v, n, err) < 0)
        return -1;
    draw_fill(&cell, 0, sh->thumb, cell.w, cell.h, sheet_bg);
    draw_text(&cell, 1, sh->thumb + 1, id, id_len, 1, (draw_rgb){255, 255, 255});
    sh->n++;
    return 0;
}

int draw_sheet_save(draw_sheet *sh, jpegw *jw, const char *path, int quality, yerr *err)
{
    size_t n = sh->n ? sh->n : 1;
    int cols = (int)ceil(sqrt((double)n)), rows = (int)((n + (size_t)cols - 1) / (size_t)cols);
    draw_canvas cv;
    if (draw_canvas_alloc(&cv, cols * (sh->cell_w + SHEET_GAP) + SHEET_GAP,
                          rows * (sh->cell_h + SHEET_GAP) + SHEET_GAP, err) < 0)
        return yerr_prefix(err, "%s", path);
    draw_fill(&cv, 0, 0, cv.w, cv.h, sheet_bg);
    if (!sh->n) /* nothing drawn: one empty cell says so */
        draw_fill(&cv, SHEET_GAP, SHEET_GAP, SHEET_GAP + sh->cell_w, SHEET_GAP + sh->thumb,
                  cell_bg);
    for (size_t i = 0; i < sh->n; i++) {
        int x = SHEET_GAP + (int)(i % (size_t)cols) * (sh->cell_w + SHEET_GAP);
        int y = SHEET_GAP + (int)(i / (size_t)cols) * (sh->cell_h + SHEET_GAP);
        const unsigned char *c = sh->cells + i * cell_bytes(sh);
        for (int r = 0; r < sh->cell_h; r++)
            memcpy(cv.p + ((size_t)(y + r) * cv.w + x) * 3, c + (size_t)r * sh->cell_w * 3,
                   (size_t)sh->cell_w * 3);
    }
    int rc = jpegw_save(jw, path, cv.p, cv.w, cv.h, quality, err);
    draw_canvas_free(&cv);
    return rc;
}

void draw_sheet_free(draw_sheet *sh)
{
    free(sh->cells);
    sh->cells = NULL;
    sh->n = sh->cap = 0;
}

/* ---- the draw stage ------------------------------------------------------ */

static const yrep_kind problem_kinds[DRAW_NPROBLEMS] = {
    [DRAW_P_IMAGE] = {"record not drawn (image missing or unreadable)",
                      "records not drawn (image missing or unreadable)"},
    [DRAW_P_NOID] = {"record not drawn (no id)", "records not drawn (no id)"},
    [DRAW_P_DUP] = {"id seen before, file renamed", "ids seen before, files renamed"},
    [DRAW_P_DAMAGED] = {"truncated or corrupt image drawn", "truncated or corrupt images drawn"},
    [DRAW_P_RESIZED] = {"picture of another size scaled to the video's",
                        "pictures of another size scaled to the video's"},
};

/* A folder the run will write into: there (or made, one level) and writable. */
static int check_folder(const char *dir, int make, yerr *err)
{
    struct stat st;
    if (make && mkdir(dir, 0777) < 0 && errno != EEXIST)
        return yerr_set(err, YOLO_EIO, "cannot make the output folder %s: %s", dir,
                        strerror(errno));
    if (stat(dir, &st) < 0)
        return yerr_set(err, YOLO_EIO, "output folder %s: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return yerr_set(err, YOLO_EIO, "output folder %s: not a folder", dir);
    if (access(dir, W_OK | X_OK) < 0)
        return yerr_set(err, YOLO_EIO, "cannot write into the output folder %s: %s", dir,
                        strerror(errno));
    return 0;
}

/* The folder of the sheet's path must be there: found now, not after the
 * whole stream has been read. */
static int check_sheet_folder(const char *path, yerr *err)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return check_folder(".", 0, err);
    char dir[4096];
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    if (n >= sizeof dir)
        return yerr_set(err, YOLO_EIO, "%s: path too long", path);
    memcpy(dir, path, n);
    dir[n] = '\0';
    return check_folder(dir, 0, err);
}

int draw_job_open(draw_job *j, const yrep *rep, const draw_cfg *cfg, yerr *err)
{
    *j = (draw_job){.cfg = *cfg, .rep = rep};
    j->probs = (yrep_problems){.kinds = problem_kinds, .n = DRAW_NPROBLEMS, .strict = cfg->strict};
    j->sheet = (draw_sheet){.thumb = cfg->thumb,
                            .cell_w = cfg->thumb,
                            .cell_h = cfg->thumb + draw_label_h(1),
                            .max = (size_t)cfg->sheet_max};
    if (cfg->out_dir && check_folder(cfg->out_dir, 1, err) < 0)
        return -1;
    if (cfg->sheet && check_sheet_folder(cfg->sheet, err) < 0)
        return -1;
    return jpegw_init(&j->jw, err);
}

static int cmp_items(const void *pa, const void *pb)
{
    const draw_item *a = pa, *b = pb;
    if (a->truth != b->truth)
        return b->truth - a->truth;               /* truths first, under the detections */
    if (a->score != b->score)
        return a->score < b->score ? -1 : 1;      /* the best detection drawn last, on top */
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* --input: the size of r's `input` ([3, H, W], checked by load_input). */
static void input_size(rec *r, double *w, double *h)
{
    tensor_view t;
    yerr ignored;
    *w = *h = 0;
    if (rec_get_tensor(r, "input", &t, &ignored) == 1 && t.ndim == 3)
        *w = (double)t.shape[2], *h = (double)t.shape[1];
}

/* --input: the detections (original pixels) mapped onto the input by the
 * record's `transform`; without one they cannot be placed (bad input). */
static int detections_to_input(draw_job *j, rec *r, yerr *err)
{
    rescale_xf xf;
    if (j->items.n == 0)
        return 0;
    int rc = rescale_read_transform(r, &xf, err);
    if (rc <= 0)
        return rc < 0 ? -1 : rec_fail(r, err, "transform", "missing: needed to draw "
                                      "'detections' on the 'input' (--input)");
    for (size_t i = 0; i < j->items.n; i++) {
        box *b = &j->items.v[i].bbox;
        double x1 = xf.sx * b->x1 + xf.dx, x2 = xf.sx * b->x2 + xf.dx;
        double y1 = xf.sy * b->y1 + xf.dy, y2 = xf.sy * b->y2 + xf.dy;
        *b = (box){fmin(x1, x2), fmin(y1, y2), fmax(x1, x2), fmax(y1, y2)};
    }
    return 0;
}

/* --input --truth: r's `truth` rows (x, y, w, h, class: fractions of the
 * input) as boxes in input pixels. */
static int truth_rows(draw_job *j, rec *r, yerr *err)
{
    tensor_view t;
    double W, H;
    int rc = rec_get_tensor(r, "truth", &t, err);
    if (rc <= 0)
        return rc;
    if (t.ndim != 2 || t.shape[1] != 5)
        return rec_fail(r, err, "truth", "expected a tensor [N, 5] (x, y, w, h, class)");
    input_size(r, &W, &H);
    for (size_t i = 0; i < (size_t)t.shape[0]; i++) {
        double v[5];
        for (int k = 0; k < 5; k++)
            v[k] = tensor_get(&t, i * 5 + k);
        if (!(v[4] >= 0 && v[4] < 1e6))
            return rec_fail(r, err, "truth", "row %zu: class %g is not a class index", i, v[4]);
        draw_item it = {.bbox = {(v[0] - v[2] / 2) * W, (v[1] - v[3] / 2) * H,
                                 (v[0] + v[2] / 2) * W, (v[1] + v[3] / 2) * H},
                        .cls = (int)v[4], .truth = 1};
        use_names(&it, j->cfg.nm);
        if (draw_list_push(&j->items, &it) < 0)
            return yerr_set(err, YOLO_EIO, "out of memory");
    }
    return 0;
}

/* The detections, and with --truth the objects, of r into j->items (with
 * --input: on the input, and the truth rows instead of the objects). */
static int collect_items(draw_job *j, rec *r, yerr *err)
{
    j->items.n = 0;
    if (draw_get_detections(r, &j->dets, &j->items, j->cfg.thresh, j->cfg.nm, err) < 0)
        return -1;
    if (j->cfg.input && (detections_to_input(j, r, err) < 0 ||
                         (j->cfg.truth && truth_rows(j, r, err) < 0)))
        return -1;
    if (j->cfg.truth && !j->cfg.input) {
        if (rec_get_objects(r, &j->objs, err) < 0)
            return -1;
        for (size_t i = 0; i < j->objs.n; i++) {
            const yobj *o = &j->objs.v[i];
            draw_item it = {.bbox = o->bbox, .cls = o->cls, .truth = 1, .name = o->name,
                            .name_len = o->name_len};
            use_names(&it, j->cfg.nm);
            if (draw_list_push(&j->items, &it) < 0)
                return yerr_set(err, YOLO_EIO, "out of memory");
        }
    }
    for (size_t i = 0; i < j->items.n; i++)
        j->items.v[i].seq = i;
    if (j->items.n > 1)
        qsort(j->items.v, j->items.n, sizeof *j->items.v, cmp_items);
    return 0;
}

/* r's `frame` as j->frame (and j->im for the sheet): 1, or -1. */
static int load_frame(draw_job *j, rec *r, yerr *err)
{
    if (rec_frame_bytes(r, &j->frame, &j->pic_w, &j->pic_h, err) < 0)
        return -1;
    if (j->cfg.sheet && img_from_rgb(j->frame, j->pic_w, j->pic_h, &j->im, err) < 0)
        return yerr_prefix(err, "%s: record %ld: key 'frame'", r->src, r->index);
    return 1;
}

/* --input: r's `input` (f32 [3, H, W], values in [0, 1]) as j->im: 1, 0
 * when r has none (a problem reported), -1. */
static int load_input(draw_job *j, rec *r, yerr *err)
{
    tensor_view t;
    int rc = rec_get_tensor(r, "input", &t, err);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return yrep_problem(j->rep, &j->probs, DRAW_P_IMAGE, "not drawn", err,
                            "%s: record %ld: no 'input' key (--input)", r->src, r->index);
    if (t.dtype != TENSOR_F32 || t.ndim != 3 || t.shape[0] != 3 || t.shape[1] < 1 ||
        t.shape[2] < 1 || t.shape[1] > IMG_MAX_SIDE || t.shape[2] > IMG_MAX_SIDE)
        return rec_fail(r, err, "input", "expected f32 [3, H, W] (a network's input)");
    if (img_alloc(&j->im, (int)t.shape[2], (int)t.shape[1], 3, err) < 0)
        return -1;
    tensor_copy_f32(&t, j->im.data);
    j->pic_w = j->im.w, j->pic_h = j->im.h;
    return 1;
}

/* Loads r's image (or frame, or with --input its input) into j->im. 1
 * loaded, 0 not (a problem reported), -1. A
 * truncated or corrupt image is drawn as it decodes; its warning, and that
 * of an image not drawn, is given once per image in a run. */
static int load_image(draw_job *j, rec *r, yerr *err)
{
    const char *s;
    size_t len;
    char path[4097];
    img_free(&j->im);
    j->frame = NULL;
    if (j->cfg.input)
        return load_input(j, r, err);
    if (rec_has(r, "frame"))     /* a video frame: bad is bad input, as a bad `image` str */
        return load_frame(j, r, err);
    int rc = rec_get_str(r, "image", &s, &len, err);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return yrep_problem(j->rep, &j->probs, DRAW_P_IMAGE, "not drawn", err,
                            "%s: record %ld: no 'image' key", r->src, r->index);
    if (len >= sizeof path || memchr(s, '\0', len))
        return rec_fail(r, err, "image", "not a usable path (too long, or holds a NUL byte)");
    memcpy(path, s, len);
    path[len] = '\0';
    yerr lerr, damaged;
    uint64_t about = ybuf_fnv1a(path, len);
    int lrc = img_load(path, &j->im, &damaged, &lerr);
    if (lrc == IMG_ENOMEM) {   /* the machine's problem, not the image's: stop */
        *err = lerr;
        return yerr_prefix(err, "%s: record %ld: image", r->src, r->index);
    }
    if (lrc < 0)
        return yrep_problem_about(j->rep, &j->probs, DRAW_P_IMAGE, about, "not drawn", err,
                                  "%s: record %ld: image: %s", r->src, r->index, lerr.msg);
    if (damaged.code && yrep_problem_about(j->rep, &j->probs, DRAW_P_DAMAGED, about, "drawn",
                                           err, "%s: record %ld: image: %s", r->src, r->index,
                                           damaged.msg) < 0)
        return -1;
    j->pic_w = j->im.w, j->pic_h = j->im.h;
    return 1;
}

/* The record's width and height, when it has them, are the image's: one
 * that is not stops the run, named (the width first). */
static int check_image_size(const draw_job *j, rec *r, yerr *err)
{
    int64_t rwh[2];
    if (j->cfg.input)   /* the network's size, not the image's */
        return 0;
    int rc = rec_image_size_differs(r, j->pic_w, j->pic_h, rwh, err);
    if (rc <= 0)
        return rc;
    int k = rwh[0] == j->pic_w;   /* 0: the width differs, 1: only the height */
    return rec_fail(r, err, k ? "height" : "width", "is %lld, but the %s is %dx%d",
                    (long long)rwh[k], j->frame ? "frame" : "image", j->pic_w, j->pic_h);
}

/* The picture of r written into --out under a name made from its id. */
static int write_picture(draw_job *j, rec *r, const char *id, size_t id_len, yerr *err)
{
    char stem[DRAW_STEM_MAX + 24], path[8192];
    draw_file_stem(id, id_len, stem);
    int rc = draw_stems_claim(&j->stems, stem);
    if (rc < 0)
        return yerr_set(err, YOLO_EIO, "out of memory");
    if (rc == 1) {
        char act[DRAW_STEM_MAX + 48];
        snprintf(act, sizeof act, "written as %s.jpg", stem);
        if (yrep_problem(j->rep, &j->probs, DRAW_P_DUP, act, err,
                         "%s: record %ld: id '%.*s' seen before", r->src, r->index,
                         (int)(id_len > 200 ? 200 : id_len), id) < 0)
            return -1;
    }
    if ((size_t)snprintf(path, sizeof path, "%s/%s.jpg", j->cfg.out_dir, stem) >= sizeof path)
        return yerr_set(err, YOLO_EIO, "%s: output path too long", j->cfg.out_dir);
    return jpegw_save(&j->jw, path, j->cv.p, j->cv.w, j->cv.h, j->cfg.quality, err);
}

/* The picture (j->frame's bytes as they are, else j->im) at its own size in
 * j->cv, with j->items drawn on it (n of them). */
static int draw_picture(draw_job *j, size_t n, yerr *err)
{
    j->have_picture = 0;
    if (j->frame && (!j->cv.p || j->cv.w != j->pic_w || j->cv.h != j->pic_h)) {
        draw_canvas_free(&j->cv);
        if (draw_canvas_alloc(&j->cv, j->pic_w, j->pic_h, err) < 0)
            return -1;
    } else if (!j->frame) {
        draw_canvas_free(&j->cv);
        if (draw_canvas_from_img(&j->cv, &j->im, j->im.w, j->im.h, err) < 0)
            return -1;
    }
    if (j->frame)
        memcpy(j->cv.p, j->frame, (size_t)j->pic_w * j->pic_h * 3);
    j->have_picture = 1;
    draw_scene(&j->cv, j->items.v, n, 1, 1, draw_style_for(j->cv.w, j->cv.h));
    return 0;
}

/* ---- video ------------------------------------------------------------- */

/* The video's rate: --fps, else the first record's `fps`, else 25. */
static double video_rate(draw_job *j, rec *r, yerr *err)
{
    double fps = j->cfg.fps;
    if (fps > 0)
        return fps;
    int rc = rec_get_f64(r, "fps", &fps, err);
    if (rc < 0)
        return -1;
    if (rc == 1 && !(fps > 0 && fps <= 1000))
        return rec_fail(r, err, "fps", "%g is not a frame rate (above 0, at most 1000)", fps);
    if (rc == 0) {
        yrep_note(j->rep, "the records give no fps: the video is %g frames a second (--fps)",
                  DRAW_DEFAULT_FPS);
        fps = DRAW_DEFAULT_FPS;
    }
    return fps;
}

/* j->cv as the video's next frame; the video opened at the first one. */
static int video_frame(draw_job *j, rec *r, yerr *err)
{
    if (!j->vw.open) {
        double fps = video_rate(j, r, err);
        if (fps < 0 || vidw_open(&j->vw, &j->cfg.video, j->cv.w, j->cv.h, fps, err) < 0)
            return -1;
    }
    if ((j->cv.w != j->vw.w || j->cv.h != j->vw.h) &&
        yrep_problem(j->rep, &j->probs, DRAW_P_RESIZED, "scaled", err,
                     "%s: record %ld: a %dx%d picture in a %dx%d video", r->src, r->index,
                     j->cv.w, j->cv.h, j->vw.w, j->vw.h) < 0)
        return -1;
    return vidw_write(&j->vw, j->cv.p, j->cv.w, j->cv.h, err);
}

/* A record that gives no picture: the last frame again (none yet: lost). */
static int video_repeat(draw_job *j, rec *r, yerr *err)
{
    if (!j->cfg.video.path)
        return 0;
    if (!j->have_picture) {
        j->lost++;
        return 0;
    }
    j->repeated++;
    return video_frame(j, r, err);
}

/* A record with `error`: its frame as it is, or the last one again. */
static int video_plain(draw_job *j, rec *r, yerr *err)
{
    yerr ignored;
    if (!j->cfg.video.path)
        return 0;
    if (rec_frame_bytes(r, &j->frame, &j->pic_w, &j->pic_h, &ignored) != 1)
        return video_repeat(j, r, err);
    return draw_picture(j, 0, err) < 0 ? -1 : video_frame(j, r, err);
}

int draw_job_record(draw_job *j, rec *r, yerr *err)
{
    if (rec_has(r, "error")) {
        j->error_records++;
        return video_plain(j, r, err);
    }
    const char *id;
    size_t id_len;
    int rc = rec_get_str(r, "id", &id, &id_len, err);
    if (rc < 0)
        return -1;
    if (rc == 0 || id_len == 0)
        return yrep_problem(j->rep, &j->probs, DRAW_P_NOID, "not drawn", err,
                            "%s: record %ld: no 'id' (or an empty one)", r->src, r->index) < 0
                   ? -1 : video_repeat(j, r, err);
    if (collect_items(j, r, err) < 0 || (rc = load_image(j, r, err)) < 0)
        return -1;
    if (rc == 0)
        return video_repeat(j, r, err);
    if (check_image_size(j, r, err) < 0)
        return -1;
    if ((j->cfg.out_dir || j->cfg.video.path) && draw_picture(j, j->items.n, err) < 0)
        return -1;
    if (j->cfg.out_dir && write_picture(j, r, id, id_len, err) < 0)
        return -1;
    if (j->cfg.video.path && video_frame(j, r, err) < 0)
        return -1;
    if (j->cfg.sheet &&
        draw_sheet_add(&j->sheet, &j->im, j->items.v, j->items.n, id, id_len, err) < 0)
        return -1;
    j->drawn++;
    return 0;
}

int draw_job_finish(draw_job *j, yerr *err)
{
    if (j->cfg.sheet && draw_sheet_save(&j->sheet, &j->jw, j->cfg.sheet, j->cfg.quality, err) < 0)
        return -1;
    if (j->sheet.dropped)
        yrep_warn(j->rep, "the sheet shows the first %zu records; %ld more left out (--sheet-max)",
                  j->sheet.n, j->sheet.dropped);
    if (j->error_records)
        yrep_warn(j->rep, "%ld record%s with 'error' passed on, not drawn", j->error_records,
                  j->error_records == 1 ? "" : "s");
    if (j->repeated)
        yrep_warn(j->rep, "%ld record%s without a picture: the frame before shown again",
                  j->repeated, j->repeated == 1 ? "" : "s");
    if (j->lost)
        yrep_warn(j->rep, "%ld record%s without a picture before the first frame: not in "
                  "the video", j->lost, j->lost == 1 ? "" : "s");
    if (j->vw.open && vidw_close(&j->vw, err) < 0)
        return -1;
    yrep_summary(j->rep, &j->probs);
    return 0;
}

void draw_job_close(draw_job *j)
{
    vidw_close(&j->vw, NULL);
    jpegw_free(&j->jw);
    img_free(&j->im);
    draw_canvas_free(&j->cv);
    draw_list_free(&j->items);
    objlist_free(&j->objs);
    detlist_free(&j->dets);
    draw_stems_free(&j->stems);
    draw_sheet_free(&j->sheet);
    yrep_problems_free(&j->probs);
}
