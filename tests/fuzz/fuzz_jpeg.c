/* img_load over an arbitrary file (JPEG, PNG or BMP, told by its first
 * bytes), then what darknet-forward and encode-targets do with the pixels:
 * img_letterbox and img_resize to small sizes taken from the input's hash.
 * img_read_size (image-list, voc-parse) reads the same file. A header
 * larger than FUZZ_MAX_PIXELS is not
 * decoded (the library allows 512 M pixels, far past libFuzzer's memory
 * limit: legitimate, so not a finding). Both must agree on the size. Damaged
 * data decoded with a warning (the stages' way) must name the file, and the
 * strict decode (no warning allowed) must succeed exactly when there is
 * none. */
#include "fuzz.h"
#include "yolo/image/image.h"

#define FUZZ_MAX_PIXELS (1L << 20)

static char path[4352];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!path[0])
        fuzz_path(path, "in.jpg");
    fuzz_write(path, data, size);
    yerr err;
    int hw = 0, hh = 0;
    int hdr = img_read_size(path, &hw, &hh, &err) == 0;

    /* a size past FUZZ_MAX_PIXELS is legitimate, not a finding: not decoded */
    if (hdr && (long)hw * hh > FUZZ_MAX_PIXELS)
        return 0;

    img im, out;
    yerr warn;
    int lenient = img_load(path, &im, &warn, &err) == 0;
    img strict;
    int strict_ok = img_load(path, &strict, NULL, &err) == 0;
    if (strict_ok)
        img_free(&strict);
    if (strict_ok != (lenient && warn.code == 0))
        FUZZ_FAIL("strict decode %s, lenient %s (warning: %s)", strict_ok ? "ok" : "refused",
                  lenient ? "ok" : "refused", lenient && warn.code ? warn.msg : "none");
    if (lenient && warn.code && (warn.code != YOLO_EINPUT || !strstr(warn.msg, path)))
        FUZZ_FAIL("a warning (code %d) that does not name the file: %s", warn.code, warn.msg);
    if (lenient) {
        if (im.w <= 0 || im.h <= 0 || im.c != 3 || !im.data)
            FUZZ_FAIL("img_load gave a %d x %d x %d image", im.w, im.h, im.c);
        if (!hdr || hw != im.w || hh != im.h)
            FUZZ_FAIL("img_read_size says %s %d x %d, img_load decoded %d x %d",
                      hdr ? "" : "(failed)", hw, hh, im.w, im.h);
        uint64_t k = fuzz_hash(data, size);
        int lw = 1 + (int)(k % 48), lh = 1 + (int)((k >> 8) % 48);
        int rw = 1 + (int)((k >> 16) % 24), rh = 1 + (int)((k >> 24) % 24);
        img_transform t;
        if (img_letterbox(&im, lw, lh, &out, &t, &err) == 0)
            img_free(&out);
        if (img_resize(&im, rw, rh, &out, &err) == 0)
            img_free(&out);
        img_free(&im);
    }
    return 0;
}
