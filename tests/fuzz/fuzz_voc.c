/* voc_read (voc-parse) over one arbitrary annotation file: the input is
 * written to DIR/Annotations/a.xml next to a real 12x8 JPEG,
 * DIR/JPEGImages/a.jpg (the default image of an annotation without
 * <filename>, and the one the seeds name), so boxes are read, checked and
 * clipped against a real image, and a missing or zero <size> reads its
 * JPEG header. The class list is VOC's 20 or a file with those and
 * synth-voc's shapes; strict and skip_difficult vary, all from the input's
 * hash. A record voc_read makes must pass the schema check. */
#include "fuzz.h"
#include "yolo/cli/cli.h"
#include "yolo/image/jpeg_write.h"
#include "yolo/records/record.h"
#include "yolo/records/schema.h"
#include "yolo/data/voc.h"

static char xml[4352], classes[4352];

static const cli_desc desc = {.name = "fuzz-voc"};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    char dir[4352], jpg[4352];
    if (mkdir(fuzz_path(dir, "Annotations"), 0700) != 0 ||
        mkdir(fuzz_path(dir, "JPEGImages"), 0700) != 0)
        FUZZ_FAIL("cannot make the devkit folders under %s", fuzz_dir());
    fuzz_path(xml, "Annotations/a.xml");
    fuzz_path(classes, "classes.txt"); /* not *.names: without it, VOC's 20 */
    static const char names[] =
        "aeroplane\nbicycle\nbird\nboat\nbottle\nbus\ncar\ncat\nchair\ncow\ndiningtable\n"
        "dog\nhorse\nmotorbike\nperson\npottedplant\nsheep\nsofa\ntrain\ntvmonitor\n"
        "circle\nsquare\ntriangle\ncross\nstar\nring\n";
    fuzz_write(classes, names, sizeof names - 1);
    unsigned char rgb[8][12][3];
    for (int y = 0; y < 8; y++)
        for (int x = 0; x < 12; x++)
            rgb[y][x][0] = (unsigned char)(20 * x), rgb[y][x][1] = (unsigned char)(30 * y),
            rgb[y][x][2] = 128;
    jpegw j;
    yerr err;
    if (jpegw_init(&j, &err) < 0 ||
        jpegw_save(&j, fuzz_path(jpg, "JPEGImages/a.jpg"), &rgb[0][0][0], 12, 8, 90, &err) < 0)
        FUZZ_FAIL("the test image: %s", err.msg);
    jpegw_free(&j);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t h = fuzz_hash(data, size);
    fuzz_write(xml, data, size);
    cli c;
    cli_init(&c, &desc);
    c.quiet = 1;
    voc_cfg g = {.classes = h & 1 ? classes : NULL,
                 .ann_dir = "Annotations",
                 .img_dir = "JPEGImages",
                 .skip_difficult = (int)((h >> 1) & 1),
                 .strict = (int)((h >> 2) & 1),
                 .shard_n = 1};
    voc_reader p;
    voc_list l;
    yerr err;
    char *inputs[] = {xml};
    if (voc_reader_open(&p, &c.rep, &g, inputs, 1, &err) < 0)
        FUZZ_FAIL("voc_reader_open: %s", err.msg);
    if (voc_list_build(&l, &p, inputs, 1, &err) < 0 || l.n != 1)
        FUZZ_FAIL("voc_list_build on one annotation file: %s", err.msg);
    rec r;
    rec_init(&r);
    if (voc_read(&p, &l, 0, &r, &err) == 1 && rec_check_schema(&r, &err) < 0)
        FUZZ_FAIL("voc_read's record breaks the schema: %s", err.msg);
    (void)voc_check_classes(&p, &err); /* its message from any names read */
    voc_summary(&p);
    rec_free(&r);
    voc_list_free(&l);
    voc_reader_close(&p);
    return 0;
}
