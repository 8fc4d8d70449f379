/* draw: the detections (and ground truth) of each record drawn on its image,
 * written as JPEGs, a contact sheet or a video; the records pass on
 * unchanged. The work is in common/post/draw.c. */
#include <string.h>
#include <unistd.h>

#include "yolo/cli/cli.h"
#include "yolo/post/draw.h"

enum {
    OPT_OUT = 1, OPT_SHEET, OPT_TRUTH, OPT_THRESH, OPT_NAMES, OPT_QUALITY, OPT_THUMB,
    OPT_SHEET_MAX, OPT_STRICT, OPT_VIDEO, OPT_VFORMAT, OPT_VCODEC, OPT_VOPTION, OPT_FPS,
    OPT_INPUT
};

typedef struct stage_cfg {
    draw_cfg d;
    const char *names_path;
} stage_cfg;

static const cli_opt opts[] = {
    {OPT_OUT, "out", 0, "DIR", "write one JPEG per record into DIR (made if missing)"},
    {OPT_SHEET, "sheet", 0, "FILE", "write a contact sheet of all records to FILE (JPEG)"},
    {OPT_TRUTH, "truth", 0, NULL, "draw the ground-truth 'objects' too (dashed, white)"},
    {OPT_INPUT, "input", 0, NULL, "draw on 'input', what the network sees (encode-targets); "
                                  "--truth: its 'truth'"},
    {OPT_THRESH, "thresh", 0, "T", "draw detections with score >= T only (default 0)"},
    {OPT_NAMES, "names", 0, "FILE", "class names, one a line: they replace the records' names"},
    {OPT_QUALITY, "quality", 0, "Q", "JPEG quality, 1 to 100 (default 90)"},
    {OPT_THUMB, "thumb", 0, "PX", "sheet: longest side of a thumbnail, 32 to 1024 (default 160)"},
    {OPT_SHEET_MAX, "sheet-max", 0, "N",
     "sheet: at most N thumbnails, the first drawn (default 100; N x PX^2 <= 16M)"},
    {OPT_STRICT, "strict", 0, NULL, "a missing or truncated image, no id or a repeated id is an error (exit 2)"},
    {OPT_VIDEO, "video", 0, "FILE", "write every record as a frame of one video (FILE '-': "
                                    "standard output, records not passed on)"},
    {OPT_VFORMAT, "video-format", 0, "NAME", "FFmpeg's muxer: mp4, matroska, avi, mjpeg, nut, "
                                             "... (default: by FILE's extension; '-': mjpeg)"},
    {OPT_VCODEC, "video-codec", 0, "NAME", "the encoder: libx264, mpeg4, mjpeg, rawvideo, ... "
                                           "(default: the format's own)"},
    {OPT_VOPTION, "video-option", 0, "KEY=VALUE", "an encoder option (repeatable): crf=20, "
                                                  "preset=slow, q:v=3, ..."},
    {OPT_FPS, "fps", 0, "F", "the video's frame rate (default: the records' fps, else 25)"},
    {0, NULL, 0, NULL, NULL},
};

static const cli_desc desc = {
    .name = "draw",
    .args = "[FILE]...",
    .summary = "Draw the detections of each record (FILEs in turn, or standard input) on its\n"
               "image or video frame, and pass the records on unchanged.",
    .details =
        "Each record's 'image' (a JPEG) is drawn with a box per detection in its class's\n"
        "colour and a label 'name 0.87' in a built-in font; line width and text size grow\n"
        "with the image. --truth adds the 'objects' as dashed white-and-black boxes\n"
        "labelled below. Boxes are clipped to the image; labels stay inside it.\n"
        "--out DIR writes DIR/ID.jpg, ID being the record's id with every byte other\n"
        "than A-Z a-z 0-9 . _ - (and a leading '.') written %XX ('a/b' gives a%2Fb.jpg);\n"
        "an id of more than 200 bytes so written is cut and ends in ~ and a 16-digit hash.\n"
        "A second record with an id already seen goes to ID~2.jpg (~3, ... after that),\n"
        "with a warning. --sheet FILE writes one JPEG of thumbnails with the ids beneath,\n"
        "in rows, at the end: memory is about 6 x N x PX^2 bytes. Files are written whole\n"
        "(a temporary file, then renamed). Records with 'error' are passed on, not drawn;\n"
        "a record whose image is missing or unreadable, or with no id, is passed on with a\n"
        "warning (an error with --strict). A truncated JPEG that still decodes is drawn as\n"
        "viewers show it (the rows it could not read grey), with a warning once per image\n"
        "(an error with --strict). Records pass on byte for byte, except when standard\n"
        "output is a terminal (draw ends the pipeline): then they are dropped.\n"
        "A record's 'frame' (from the frames stage) is its picture when it has one.\n"
        "--input draws on the record's 'input' instead (f32 [3,H,W], the network's\n"
        "picture: encode-targets' augmented one), at its own size; --truth then draws\n"
        "its 'truth' rows, and detections are mapped there by its 'transform'.\n"
        "--video FILE encodes every record in order as one frame at the records' own size\n"
        "and rate (the first record's), through FFmpeg: a record with 'error' is its frame\n"
        "without boxes, one with no picture repeats the frame before. A detection's\n"
        "track_id shows as '#12 name 0.87'.\n"
        "Example: frames in.mp4 | darknet-forward ... | rescale | nms | draw --video out.mp4\n"
        "         draw --video - in.mp | ffplay -     (MJPEG on standard output)",
    .opts = opts,
    .reads_records = 1,
    .writes_records = 1,
};

static int on_option(cli *c, void *ctx, int id, const char *arg)
{
    stage_cfg *g = ctx;
    draw_cfg *d = &g->d;
    long v;
    if (arg && !*arg)
        return cli_usage_error(c, "an option's value is empty");
    switch (id) {
    case OPT_OUT: d->out_dir = arg; return 0;
    case OPT_SHEET: d->sheet = arg; return 0;
    case OPT_TRUTH: d->truth = 1; return 0;
    case OPT_INPUT: d->input = 1; return 0;
    case OPT_STRICT: d->strict = 1; return 0;
    case OPT_NAMES: g->names_path = arg; return 0;
    case OPT_THRESH: return cli_double(c, "thresh", arg, 0, 1, &d->thresh);
    case OPT_QUALITY:
        if (cli_long(c, "quality", arg, 1, 100, &v) < 0)
            return -1;
        d->quality = (int)v;
        return 0;
    case OPT_THUMB:
        if (cli_long(c, "thumb", arg, 32, 1024, &v) < 0)
            return -1;
        d->thumb = (int)v;
        return 0;
    case OPT_SHEET_MAX: return cli_long(c, "sheet-max", arg, 1, 1000000, &d->sheet_max);
    case OPT_VIDEO: d->video.path = arg; return 0;
    case OPT_VFORMAT: d->video.format = arg; return 0;
    case OPT_VCODEC: d->video.codec = arg; return 0;
    case OPT_FPS: return cli_double(c, "fps", arg, 1e-3, 1000, &d->fps);
    case OPT_VOPTION:
        if (d->video.noptions == VID_MAX_OPTIONS)
            return cli_usage_error(c, "at most %d --video-option", VID_MAX_OPTIONS);
        d->video.options[d->video.noptions++] = arg;
        return 0;
    }
    return -1;
}

/* The video on standard output takes the records' place there. */
static int video_to_stdout(const draw_cfg *d) { return d->video.path && !strcmp(d->video.path, "-"); }

static int check_options(cli *c, const draw_cfg *d)
{
    if (!d->out_dir && !d->sheet && !d->video.path)
        return cli_usage_error(c, "nothing to write: give --out DIR, --sheet FILE or --video FILE");
    if (!d->video.path && (d->video.format || d->video.codec || d->video.noptions || d->fps))
        return cli_usage_error(c, "--video-format, --video-codec, --video-option and --fps go "
                                  "with --video FILE");
    if (video_to_stdout(d) && strcmp(c->outname, "<stdout>") != 0)
        return cli_usage_error(c, "--video - writes the video on standard output: -o has no "
                                  "records to take");
    if (video_to_stdout(d) && isatty(STDOUT_FILENO))
        return cli_usage_error(c, "--video -: standard output is a terminal (pipe it into "
                                  "ffplay - or an ffmpeg command)");
    if (d->sheet_max * (long)d->thumb * d->thumb > DRAW_SHEET_MAX_PIXELS)
        return cli_usage_error(c, "--sheet-max %ld of %d-pixel thumbnails is over %ld pixels",
                               d->sheet_max, d->thumb, DRAW_SHEET_MAX_PIXELS);
    return 0;
}

int main(int argc, char **argv)
{
    cli c;
    stage_cfg g = {.d = {.quality = 90, .thumb = 160, .sheet_max = 100}};
    /* At the end of a pipeline on a terminal the records have nowhere to
     * go: they are dropped instead of refused (the pictures are the point). */
    int tty = isatty(STDOUT_FILENO);
    cli_desc d = desc;
    d.writes_records = !tty;
    cli_init(&c, &d);
    if (cli_parse(&c, argc, argv, on_option, &g) < 0 || check_options(&c, &g.d) < 0)
        return c.status;
    names nm = {0};
    draw_job j = {0};
    yerr err;
    rec r;
    rec_init(&r);
    int rc = g.names_path ? names_load(&nm, g.names_path, &err) : 0;
    g.d.nm = g.names_path ? &nm : NULL;
    if (rc == 0)
        rc = draw_job_open(&j, &c.rep, &g.d, &err);
    /* -o FILE has replaced a terminal; --video - takes standard output */
    int pass = !isatty(STDOUT_FILENO) && !video_to_stdout(&g.d);
    while (rc == 0 && (rc = cli_read(&c, &r, &err)) == 1)
        if ((rc = draw_job_record(&j, &r, &err)) == 0 && pass)
            rc = rec_write(&c.out, &r, &err);
    if (rc == 0)
        rc = draw_job_finish(&j, &err);
    if (rc < 0)
        cli_fail(&c, &err);
    draw_job_close(&j);
    rec_free(&r);
    names_free(&nm);
    return cli_finish(&c);
}
