/* yolotxt_read (yolo-parse's label rows) over one arbitrary label file,
 * DIR/images/a.txt beside the image path DIR/images/a.jpg (the image is
 * never opened: its size comes from the input's hash, 1..4096 a side), with
 * three classes; strict from the hash. Every object kept must be a box
 * inside the image with a class of the list; every stop must say why. */
#include <math.h>

#include "fuzz.h"
#include "yolo/cli/cli.h"
#include "yolo/data/names.h"
#include "yolo/data/yolotxt.h"

static char label[4352], image[4352], names_path[4352];

static const cli_desc desc = {.name = "fuzz-yolotxt"};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    char dir[4352];
    if (mkdir(fuzz_path(dir, "images"), 0700) != 0)
        FUZZ_FAIL("cannot make %s", dir);
    fuzz_path(label, "images/a.txt");
    fuzz_path(image, "images/a.jpg");
    static const char three[] = "cat\ndog\nbird\n";
    fuzz_write(fuzz_path(names_path, "obj.names"), three, sizeof three - 1);
    return 0;
}

static void check_objects(const yolotxt *t, int w, int h)
{
    for (size_t i = 0; i < t->objs.n; i++) {
        const yobj *o = &t->objs.v[i];
        const box *b = &o->bbox;
        if (o->cls < 0 || o->cls >= 3)
            FUZZ_FAIL("object %zu has class %d of 3", i, o->cls);
        if (!isfinite(b->x1) || !isfinite(b->y1) || !isfinite(b->x2) || !isfinite(b->y2) ||
            b->x1 < 0 || b->y1 < 0 || b->x2 > w || b->y2 > h || b->x1 > b->x2 || b->y1 > b->y2)
            FUZZ_FAIL("object %zu: box %g %g %g %g in a %dx%d image", i, b->x1, b->y1, b->x2,
                      b->y2, w, h);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t hash = fuzz_hash(data, size);
    int w = 1 + (int)(hash % 4096), h = 1 + (int)((hash >> 12) % 4096);
    fuzz_write(label, data, size);
    cli c;
    cli_init(&c, &desc);
    c.quiet = 1;
    names classes = {0};
    yerr err;
    if (names_load(&classes, names_path, &err) < 0)
        FUZZ_FAIL("names_load: %s", err.msg);
    yolotxt t;
    yolotxt_init(&t, &c.rep, &classes, (int)((hash >> 24) & 1));
    int rc = yolotxt_read(&t, image, w, h, &err);
    if (rc < 0 && !err.msg[0])
        FUZZ_FAIL("yolotxt_read stopped without a message");
    if (rc == 1)
        check_objects(&t, w, h);
    yolotxt_summary(&t);
    yolotxt_free(&t);
    names_free(&classes);
    return 0;
}
