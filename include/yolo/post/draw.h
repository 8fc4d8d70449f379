/* Pictures of detections: boxes and labels drawn on the original image
 * (the draw stage). Three layers, each usable alone:
 *   - a raster: 8-bit RGB canvases, filled rectangles, box outlines, text
 *     in the built-in font (yolo/font.h), labels kept inside the canvas;
 *   - a scene: the detections and ground-truth objects of one record,
 *     drawn with a line width and text size scaled to the canvas;
 *   - a job: one record after another, each written as a JPEG into a
 *     folder under a file name made from its id, and/or shrunk into a cell
 *     of a contact sheet written at the end. */
#ifndef YOLO_DRAW_H
#define YOLO_DRAW_H

#include <stddef.h>
#include <stdint.h>

#include "yolo/data/box.h"
#include "yolo/base/report.h"
#include "yolo/base/err.h"
#include "yolo/image/image.h"
#include "yolo/image/jpeg_write.h"
#include "yolo/image/video_write.h"
#include "yolo/data/names.h"
#include "yolo/data/objects.h"
#include "yolo/records/record.h"
#include "yolo/data/detection.h"

/* ---- raster ------------------------------------------------------------- */

typedef struct draw_rgb {
    unsigned char r, g, b;
} draw_rgb;

/* An 8-bit RGB picture, [h][w][3] row-major: what jpegw_save takes. */
typedef struct draw_canvas {
    unsigned char *p;
    int w, h;
} draw_canvas;

/* A w x h canvas (w, h >= 1), black. YOLO_EIO out of memory. */
int draw_canvas_alloc(draw_canvas *cv, int w, int h, yerr *err);
void draw_canvas_free(draw_canvas *cv);
/* im (3 channels) shrunk to a new w x h canvas, 1 <= w <= im->w, 1 <= h <=
 * im->h, each pixel the mean of the source pixels it covers; w = im->w and
 * h = im->h copies the bytes exactly. */
int draw_canvas_from_img(draw_canvas *cv, const img *im, int w, int h, yerr *err);

/* The colour of class cls: hues a golden-ratio turn apart, so neighbouring
 * classes differ by about 138 degrees of hue; the value cycles through
 * three levels (cls % 3), so that classes whose hues come close (5, 8 or
 * 13 apart) differ in brightness. */
draw_rgb draw_class_color(int cls);
/* Black or white, whichever is readable on bg (by its luma). */
draw_rgb draw_text_color(draw_rgb bg);

/* Fills pixels [x0, x1) x [y0, y1), clipped to the canvas. */
void draw_fill(draw_canvas *cv, int x0, int y0, int x1, int y1, draw_rgb c);

/* A box in canvas pixels, as whole pixel bounds [x0, x1) x [y0, y1). */
typedef struct draw_rect {
    int x0, y0, x1, y1;
} draw_rect;

/* The pixels that b ([x1, y1, x2, y2], continuous) covers, at least one
 * wide and high, clipped to the canvas. 0 when nothing of b is inside. */
int draw_rect_of(const draw_canvas *cv, box b, draw_rect *r);

/* The outline of r, t pixels thick, inside r. dash > 0 draws it in dashes
 * of that length, alternating c and its draw_text_color. */
void draw_outline(draw_canvas *cv, draw_rect r, int t, draw_rgb c, int dash);

/* Text in the built-in font, each font pixel a scale x scale square, its
 * top-left corner at (x, y); clipped to the canvas. */
void draw_text(draw_canvas *cv, int x, int y, const char *s, size_t len, int scale, draw_rgb c);
/* Width and height in pixels of the filled label around a text. */
int draw_label_w(const char *s, size_t len, int scale);
int draw_label_h(int scale);

/* Where a label of lw x lh pixels for box r goes: just above r's top-left
 * corner, or inside r at its top when there is no room above (below = 1:
 * just below its bottom-left corner, or inside at its bottom); then moved
 * to lie inside the canvas (at its left or top edge if it is larger). */
draw_rect draw_label_place(const draw_canvas *cv, draw_rect r, int lw, int lh, int below);
/* A filled label of colour bg with the text in draw_text_color(bg). */
void draw_label(draw_canvas *cv, draw_rect r, const char *s, size_t len, int scale, draw_rgb bg,
                int below);

/* ---- scene -------------------------------------------------------------- */

/* One thing to draw: a detection or a ground-truth object. */
typedef struct draw_item {
    box bbox;            /* original-image pixels */
    int cls;
    double score;        /* detections */
    int truth;           /* a ground-truth object: dashed, labelled below, no score */
    const char *name;    /* [name_len], not owned (the record or a names list) */
    size_t name_len;
    int has_track;       /* a tracked detection: its label starts "#track " */
    int64_t track;
    size_t seq;          /* position in the record: ties of score keep it */
} draw_item;

typedef struct draw_list {
    draw_item *v;        /* [n], [cap] allocated */
    size_t n, cap;
} draw_list;

int draw_list_push(draw_list *l, const draw_item *it);   /* 0, or -1 out of memory */
void draw_list_free(draw_list *l);

/* Line width and font scale for a canvas of this size. */
typedef struct draw_style {
    int line;            /* box outline, pixels */
    int font;            /* font pixel, canvas pixels */
} draw_style;
draw_style draw_style_for(int w, int h);

/* Draws v[0, n) in order (boxes first, then labels, so no box hides a
 * label) onto cv, with original pixel (x, y) at canvas (x * sx, y * sy).
 * Detections get their class colour and "name 0.87"; truths the dashed
 * outline and their name below the box. */
void draw_scene(draw_canvas *cv, const draw_item *v, size_t n, double sx, double sy,
                draw_style st);

/* ---- records ------------------------------------------------------------ */

/* Appends r's detections with score >= thresh to l, read with
 * rec_get_detections (yolo/rescale.h) into scratch, each with its
 * `track_id` when it has one (an integer, else an error naming
 * detections[i].track_id). Names come from nm when
 * it has the class (nm may be NULL), else from the detection. 1 if r has
 * detections, 0 if not, -1 with err naming the record and the path
 * (detections[3].score) for a value that breaks the schema. */
int draw_get_detections(rec *r, detlist *scratch, draw_list *l, double thresh, const names *nm,
                        yerr *err);

/* A file name stem for a record id: bytes A-Z a-z 0-9 . _ - are kept, any
 * other byte (and a leading '.') becomes %XX (two upper-case hex digits), so
 * different ids give different stems and none holds a '/'. A stem over
 * DRAW_STEM_MAX bytes is cut and ends in '~' and 16 hex digits of a hash of
 * the whole id. out needs DRAW_STEM_MAX + 1 bytes. Returns the length. */
#define DRAW_STEM_MAX 200
size_t draw_file_stem(const char *id, size_t len, char *out);

/* The stems used so far in a run, so that two records with the same id do
 * not write the same file. */
typedef struct draw_stems {
    char **v;            /* [cap] open addressing, NULL = free */
    size_t n, cap;
} draw_stems;

/* Makes stem unique in s and adds it: a stem used before gets "~2", "~3",
 * ... (the first free one; '~' is escaped in ids, so it cannot clash).
 * stem needs DRAW_STEM_MAX + 24 bytes. 1 if it was changed, 0 if not, -1
 * out of memory. */
int draw_stems_claim(draw_stems *s, char *stem);
void draw_stems_free(draw_stems *s);

/* ---- contact sheet ------------------------------------------------------- */

/* Thumbnails in cells of thumb x (thumb + caption) pixels, kept in memory
 * until the sheet is written: at most max of them. */
typedef struct draw_sheet {
    int thumb;           /* longest side of a thumbnail, pixels */
    int cell_w, cell_h;  /* thumbnail square plus the caption line */
    size_t max;
    unsigned char *cells; /* [n][cell_h][cell_w][3], [cap] allocated */
    size_t n, cap;
    long dropped;        /* records past max, not shown */
} draw_sheet;

#define DRAW_SHEET_MAX_PIXELS (16L * 1024 * 1024) /* max * thumb^2, bounds memory */

/* Adds the record drawn on im (items v[0, n), original pixels) with the
 * caption id as a cell, or counts it in dropped when the sheet is full. */
int draw_sheet_add(draw_sheet *sh, const img *im, const draw_item *v, size_t n, const char *id,
                   size_t id_len, yerr *err);
/* Lays the cells out in a grid (ceil(sqrt(n)) columns) and writes it to
 * path. An empty sheet is one blank cell. */
int draw_sheet_save(draw_sheet *sh, jpegw *jw, const char *path, int quality, yerr *err);
void draw_sheet_free(draw_sheet *sh);

/* ---- the draw stage ------------------------------------------------------ */

typedef struct draw_cfg {
    const char *out_dir;   /* --out: one JPEG per record, or NULL */
    const char *sheet;     /* --sheet: the contact sheet, or NULL */
    int truth;             /* --truth: draw `objects` too (with input: `truth`) */
    int input;             /* --input: draw on `input`, the network's picture; the
                              detections mapped there by `transform` */
    int strict;            /* --strict: a missing, truncated or corrupt image is an error */
    double thresh;         /* --thresh: detections drawn from this score up */
    const names *nm;       /* --names, or NULL */
    int quality;           /* JPEG quality */
    int thumb;             /* --thumb */
    long sheet_max;        /* --sheet-max */
    vidw_cfg video;        /* --video: every record a frame of one video (path NULL: none) */
    double fps;            /* its rate; 0: the first record's `fps`, else 25 */
} draw_cfg;

#define DRAW_DEFAULT_FPS 25.0

enum { DRAW_P_IMAGE, DRAW_P_NOID, DRAW_P_DUP, DRAW_P_DAMAGED, DRAW_P_RESIZED, DRAW_NPROBLEMS };

typedef struct draw_job {
    draw_cfg cfg;
    const yrep *rep;       /* where warnings go */
    yrep_problems probs;
    jpegw jw;
    img im;                /* the record's image (a frame: only for the sheet) */
    const unsigned char *frame; /* the record's `frame` bytes [pic_h][pic_w][3], or NULL */
    int pic_w, pic_h;      /* the record's picture size */
    draw_canvas cv;        /* the picture being drawn */
    draw_list items;       /* [n] what is drawn on it */
    objlist objs;          /* scratch for `objects` */
    detlist dets;          /* scratch for `detections` */
    draw_stems stems;
    draw_sheet sheet;
    vidw vw;               /* --video, opened at the first picture */
    int have_picture;      /* cv holds the last frame written (a record without one repeats it) */
    long drawn, error_records, repeated, lost;
} draw_job;

/* Makes the --out folder if missing (one level) and checks it is a folder
 * that can be written, starts the JPEG encoder. 0, or -1 with err
 * (YOLO_EIO naming the folder). */
int draw_job_open(draw_job *j, const yrep *rep, const draw_cfg *cfg, yerr *err);
/* Draws one record (a record with `error` is counted, not drawn). The
 * record is not changed. With --video every record is one frame: a record
 * with `error` is its `frame` as it is (no boxes), and one that gives no
 * picture (error without a frame, no id, an image not decoded) repeats
 * the last frame, so that the video keeps the stream's timing. A truncated or corrupt JPEG is drawn as it decodes
 * (img_load), with a warning once per image. 0, or -1 with err:
 * YOLO_EINPUT for a record that breaks the schema, whose image size differs
 * from its width and height, or (strict) a missing, truncated or corrupt
 * image; YOLO_EIO for a file that cannot be written. */
int draw_job_record(draw_job *j, rec *r, yerr *err);
/* After the last record: writes the sheet, ends the video, prints the
 * closing counts. */
int draw_job_finish(draw_job *j, yerr *err);
/* Frees the job; a video still open (the run failed) is ended first, so
 * that the frames written so far play. */
void draw_job_close(draw_job *j);

#endif
