/* gen-coco: writes a deterministic COCO instances JSON file with the shape
 * of the real ones (images, annotations with polygon segmentations, a few
 * crowd annotations with RLE counts, categories with COCO's non-contiguous
 * ids), for the coco-parse tests and benchmark.
 *   gen-coco [--images N] [--annotations N] [--categories K] [--crowd N]
 *            [--points P] [--order ORDER] [--seed S]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yolo/cli/cli.h"
#include "yolo/base/rng.h"

enum { OPT_IMAGES = 1, OPT_ANNS, OPT_CATS, OPT_CROWD, OPT_POINTS, OPT_ORDER, OPT_SEED };

static const cli_opt opts[] = {
    {OPT_IMAGES, "images", 'n', "N", "images (default 10)"},
    {OPT_ANNS, "annotations", 'a', "N", "annotations (default 30)"},
    {OPT_CATS, "categories", 'k', "K", "categories (default 80: COCO's ids 1..90)"},
    {OPT_CROWD, "crowd", 0, "N", "how many annotations are crowds with RLE counts (default 1)"},
    {OPT_POINTS, "points", 0, "P", "polygon points per annotation, on average (default 24)"},
    {OPT_ORDER, "order", 0, "ORDER", "order of the sections: a permutation of 'iac' (default iac)"},
    {OPT_SEED, "seed", 0, "S", "random seed (default 1)"},
    {0, NULL, 0, NULL, NULL},
};

static const cli_desc desc = {
    .name = "gen-coco",
    .summary = "Write a deterministic synthetic COCO instances JSON file (for tests).",
    .opts = opts,
};

typedef struct gen_cfg {
    long images, anns, cats, crowd, points, seed;
    const char *order;
} gen_cfg;

typedef struct gen {
    const gen_cfg *g;
    FILE *f;
    yrng rng;
    long long *img_id;   /* [images] ids, widths and heights of the images */
    int *img_w, *img_h;
} gen;

static int on_option(cli *c, void *ctx, int id, const char *arg)
{
    gen_cfg *g = ctx;
    switch (id) {
    case OPT_IMAGES: return cli_long(c, "images", arg, 1, 10000000, &g->images);
    case OPT_ANNS: return cli_long(c, "annotations", arg, 0, 50000000, &g->anns);
    case OPT_CATS: return cli_long(c, "categories", arg, 1, 10000, &g->cats);
    case OPT_CROWD: return cli_long(c, "crowd", arg, 0, 50000000, &g->crowd);
    case OPT_POINTS: return cli_long(c, "points", arg, 4, 10000, &g->points);
    case OPT_SEED: return cli_long(c, "seed", arg, 0, 1L << 62, &g->seed);
    case OPT_ORDER:
        if (strlen(arg) != 3 || !strchr(arg, 'i') || !strchr(arg, 'a') || !strchr(arg, 'c'))
            return cli_usage_error(c, "option --order: '%s' is not a permutation of 'iac'", arg);
        g->order = arg;
        return 0;
    }
    return -1;
}

/* Numbers are most of the output: formatted by hand, not with printf. */
static void put_uint(FILE *f, unsigned long long v)
{
    char b[24];
    int n = 0;
    do
        b[sizeof b - 1 - n++] = (char)('0' + v % 10);
    while ((v /= 10));
    fwrite(b + sizeof b - n, 1, (size_t)n, f);
}

/* v hundredths as a decimal with two places: 12345 -> 123.45 */
static void put_cents(FILE *f, long v)
{
    put_uint(f, (unsigned long long)(v / 100));
    char b[3] = {'.', (char)('0' + v / 10 % 10), (char)('0' + v % 10)};
    fwrite(b, 1, 3, f);
}

/* COCO's category ids: 1..90 with ten gaps, then on from 91. */
static long cat_id(long i)
{
    static const unsigned char gaps[] = {12, 26, 29, 30, 45, 66, 68, 69, 71, 83};
    long id = i + 1;
    for (size_t k = 0; k < sizeof gaps && gaps[k] <= id; k++)
        id++;
    return id;
}

/* Image ids (increasing, with gaps) and sizes, drawn before anything is
 * written: annotations may come first. */
static void draw_images(gen *s)
{
    long long id = 0;
    for (long i = 0; i < s->g->images; i++) {
        id += 1 + (long long)rng_below(&s->rng, 9);
        s->img_id[i] = id;
        s->img_w[i] = 200 + (int)rng_below(&s->rng, 441);
        s->img_h[i] = 200 + (int)rng_below(&s->rng, 441);
    }
}

static void write_images(gen *s)
{
    fputs("\"images\":[", s->f);
    for (long i = 0; i < s->g->images; i++) {
        long long id = s->img_id[i];
        fprintf(s->f,
                "%s{\"license\":%lld,\"file_name\":\"%012lld.jpg\",\"coco_url\":"
                "\"http://images.cocodataset.org/train2017/%012lld.jpg\",\"height\":%d,"
                "\"width\":%d,\"date_captured\":\"2013-11-14 11:18:45\",\"flickr_url\":"
                "\"http://farm1.staticflickr.com/1/%lld_0.jpg\",\"id\":%lld}",
                i ? "," : "", 1 + id % 8, id, id, s->img_h[i], s->img_w[i], id, id);
    }
    fputs("]", s->f);
}

/* A polygon of about P points on the ellipse inside the box (hundredths). */
static void write_polygon(gen *s, long x, long y, long w, long h)
{
    long n = 4 + (long)rng_below(&s->rng, (uint64_t)(2 * s->g->points - 7));
    fputs("[[", s->f);
    for (long k = 0; k < n; k++) {
        double t = 6.283185307179586 * (double)k / (double)n, r = rng_range(&s->rng, 0.8, 1.0);
        long px = x + w / 2 + (long)((double)w / 2 * r * cos(t));
        long py = y + h / 2 + (long)((double)h / 2 * r * sin(t));
        if (k)
            fputc(',', s->f);
        put_cents(s->f, px);
        fputc(',', s->f);
        put_cents(s->f, py);
    }
    fputs("]]", s->f);
}

/* An uncompressed RLE over the image: run lengths that add up to h*w. */
static void write_rle(gen *s, int iw, int ih)
{
    long left = (long)iw * ih;
    fputs("{\"counts\":[", s->f);
    for (int k = 0; left > 0; k++) {
        long run = 1 + (long)rng_below(&s->rng, 2000);
        if (run > left || k == 199)
            run = left;
        if (k)
            fputc(',', s->f);
        put_uint(s->f, (unsigned long long)run);
        left -= run;
    }
    fprintf(s->f, "],\"size\":[%d,%d]}", ih, iw);
}

static void write_annotations(gen *s)
{
    const gen_cfg *g = s->g;
    long every = g->crowd ? (g->anns + g->crowd - 1) / g->crowd : 0;
    fputs("\"annotations\":[", s->f);
    for (long j = 0; j < g->anns; j++) {
        long i = (long)rng_below(&s->rng, (uint64_t)g->images);
        int iw = s->img_w[i], ih = s->img_h[i];
        long w = 100 + (long)rng_below(&s->rng, (uint64_t)iw * 50);
        long h = 100 + (long)rng_below(&s->rng, (uint64_t)ih * 50);
        long x = (long)rng_below(&s->rng, (uint64_t)(iw * 100 - w));
        long y = (long)rng_below(&s->rng, (uint64_t)(ih * 100 - h));
        int crowd = every && j % every == 0;
        fputs(j ? ",{\"segmentation\":" : "{\"segmentation\":", s->f);
        if (crowd)
            write_rle(s, iw, ih);
        else
            write_polygon(s, x, y, w, h);
        fprintf(s->f, ",\"area\":%.10g,\"iscrowd\":%d,\"image_id\":%lld,\"bbox\":[",
                (double)w * (double)h * 0.7e-4, crowd, s->img_id[i]);
        put_cents(s->f, x);
        fputc(',', s->f);
        put_cents(s->f, y);
        fputc(',', s->f);
        put_cents(s->f, w);
        fputc(',', s->f);
        put_cents(s->f, h);
        fprintf(s->f, "],\"category_id\":%ld,\"id\":%ld}",
                cat_id((long)rng_below(&s->rng, (uint64_t)g->cats)), 900000 + j);
    }
    fputs("]", s->f);
}

static void write_categories(gen *s)
{
    fputs("\"categories\":[", s->f);
    for (long k = 0; k < s->g->cats; k++)
        fprintf(s->f, "%s{\"supercategory\":\"thing\",\"id\":%ld,\"name\":\"class %ld\"}",
                k ? "," : "", cat_id(k), cat_id(k));
    fputs("]", s->f);
}

int main(int argc, char **argv)
{
    cli c;
    gen_cfg g = {.images = 10, .anns = 30, .cats = 80, .crowd = 1, .points = 24, .seed = 1,
                 .order = "iac"};
    cli_init(&c, &desc);
    if (cli_parse(&c, argc, argv, on_option, &g) < 0)
        return c.status;
    gen s = {.g = &g, .f = c.outf};
    rng_seed(&s.rng, (uint64_t)g.seed);
    s.img_id = malloc((size_t)g.images * sizeof *s.img_id);
    s.img_w = malloc((size_t)g.images * sizeof *s.img_w);
    s.img_h = malloc((size_t)g.images * sizeof *s.img_h);
    if (!s.img_id || !s.img_w || !s.img_h) {
        yerr err;
        yerr_set(&err, YOLO_EIO, "out of memory");
        cli_fail(&c, &err);
    } else {
        draw_images(&s);
        fputs("{\"info\":{\"description\":\"synthetic COCO\",\"year\":2017},\"licenses\":"
              "[{\"url\":\"http://creativecommons.org/licenses/by/2.0/\",\"id\":1,\"name\":"
              "\"Attribution License\"}],",
              s.f);
        for (int k = 0; k < 3; k++) {
            if (k)
                fputc(',', s.f);
            switch (g.order[k]) {
            case 'i': write_images(&s); break;
            case 'a': write_annotations(&s); break;
            default: write_categories(&s);
            }
        }
        fputs("}\n", s.f);
    }
    free(s.img_id);
    free(s.img_w);
    free(s.img_h);
    return cli_finish(&c);
}
