/* seedgen: seed files that no stage writes, for make-seeds.sh.
 *   seedgen jpeg DIR      small JPEGs of the kinds tests/unit/test_image.c
 *                         decodes: RGB 4:4:4 and 4:2:0, grayscale, CMYK,
 *                         progressive, 1x1, a low quality one
 *   seedgen weights DIR   weights files for fuzz_weights's network
 *                         (weights-net.h): versions 0.1 (32-bit seen), 0.2
 *                         (64-bit seen), 1001.0 and 0.1001 (transposed
 *                         connected weights), seeded random parameters with
 *                         a NaN, an infinity and a denormal mixed in */
#include <math.h>
#include <turbojpeg.h>

#include "fuzz.h"
#include "weights-net.h"
#include "yolo/net/weights.h"

static int jpeg(const char *dir, const char *name, int w, int h, int pf, int sub, int q,
                int flags)
{
    int ps = tjPixelSize[pf];
    unsigned char *px = malloc((size_t)w * h * ps), *jpg = NULL;
    unsigned long n = 0;
    if (!px)
        return -1;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int k = 0; k < ps; k++)
                px[((size_t)y * w + x) * ps + k] =
                    (unsigned char)((x * 255 / (w > 1 ? w - 1 : 1) + y * 37 + k * 80) % 256);
    tjhandle tj = tjInitCompress();
    int rc = tj && tjCompress2(tj, px, w, 0, h, pf, &jpg, &n, sub, q, flags) == 0 ? 0 : -1;
    if (rc < 0)
        fprintf(stderr, "seedgen: %s: %s\n", name, tjGetErrorStr2(tj));
    char path[4352];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = rc == 0 ? fopen(path, "wb") : NULL;
    if (rc == 0 && (!f || fwrite(jpg, 1, n, f) != n))
        rc = -1;
    if (f && fclose(f) != 0)
        rc = -1;
    if (tj)
        tjDestroy(tj);
    tjFree(jpg);
    free(px);
    return rc;
}

static int jpegs(const char *dir)
{
    return jpeg(dir, "rgb444.jpg", 16, 8, TJPF_RGB, TJSAMP_444, 90, 0) |
           jpeg(dir, "rgb420.jpg", 33, 17, TJPF_RGB, TJSAMP_420, 75, 0) |
           jpeg(dir, "rgb422.jpg", 9, 13, TJPF_RGB, TJSAMP_422, 50, 0) |
           jpeg(dir, "gray.jpg", 19, 11, TJPF_GRAY, TJSAMP_GRAY, 90, 0) |
           jpeg(dir, "cmyk444.jpg", 16, 8, TJPF_CMYK, TJSAMP_444, 90, 0) |
           jpeg(dir, "cmyk420.jpg", 33, 17, TJPF_CMYK, TJSAMP_420, 90, 0) |
           jpeg(dir, "prog.jpg", 37, 21, TJPF_RGB, TJSAMP_444, 90, TJFLAG_PROGRESSIVE) |
           jpeg(dir, "prog-gray.jpg", 8, 8, TJPF_GRAY, TJSAMP_GRAY, 60, TJFLAG_PROGRESSIVE) |
           jpeg(dir, "one.jpg", 1, 1, TJPF_RGB, TJSAMP_444, 100, 0) |
           jpeg(dir, "q5.jpg", 24, 24, TJPF_RGB, TJSAMP_420, 5, 0);
}

static int weights(const char *dir)
{
    static const struct { int major, minor; const char *name; } v[] = {
        {0, 1, "v0.1.weights"}, {0, 2, "v0.2.weights"}, {1001, 0, "v1001.0.weights"},
        {0, 1001, "v0.1001.weights"},
    };
    cfg c;
    network net;
    yerr err;
    if (fuzz_weights_net(&c, &net, &err) < 0) {
        fprintf(stderr, "seedgen: %s\n", err.msg);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof v / sizeof v[0]; i++) {
        weights_random(&net, i + 1);
        net.params[0] = NAN, net.params[1] = INFINITY, net.params[2] = 1e-40f;
        net.major = v[i].major, net.minor = v[i].minor, net.revision = (int)i;
        net.seen = 12345 + i;
        net.seen_bytes = v[i].major * 10 + v[i].minor >= 2 && v[i].major < 1000 &&
                                 v[i].minor < 1000 ? 8 : 4;
        char path[4352];
        snprintf(path, sizeof path, "%s/%s", dir, v[i].name);
        if ((rc = weights_write(&net, path, &err)) < 0)
            fprintf(stderr, "seedgen: %s\n", err.msg);
    }
    net_free(&net);
    cfg_free(&c);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "jpeg") && strcmp(argv[1], "weights"))) {
        fprintf(stderr, "usage: seedgen jpeg|weights DIR\n");
        return 1;
    }
    return (strcmp(argv[1], "jpeg") == 0 ? jpegs(argv[2]) : weights(argv[2])) < 0 ? 1 : 0;
}
