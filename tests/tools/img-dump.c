/* img-dump FILE [--strict]: decodes FILE with img_load (the one decoder the
 * stages use) and writes "W H\n" then its pixels as bytes [h, w, 3] (each
 * value * 255, rounded: the byte it came from) to stdout, for tests to
 * compare with another decoder's. A warning (damaged data decoded) goes to
 * stderr as "warning: MSG"; --strict refuses such a file. An error: its
 * message on stderr, exit with its code (3 for out of memory). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yolo/image/image.h"

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "--strict") != 0)) {
        fprintf(stderr, "usage: img-dump FILE [--strict]\n");
        return 1;
    }
    img im;
    yerr err, warn;
    if (img_load(argv[1], &im, argc == 3 ? NULL : &warn, &err) < 0) {
        fprintf(stderr, "img-dump: %s\n", err.msg);
        return err.code;
    }
    if (argc == 2 && warn.code)
        fprintf(stderr, "warning: %s\n", warn.msg);
    size_t n = (size_t)im.w * im.h;
    unsigned char *px = malloc(n * 3);
    if (!px) {
        fprintf(stderr, "img-dump: out of memory\n");
        return 3;
    }
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < 3; c++)
            px[i * 3 + c] = (unsigned char)lrintf(im.data[c * n + i] * 255.0f);
    printf("%d %d\n", im.w, im.h);
    int bad = fwrite(px, 3, n, stdout) != n || fflush(stdout) != 0;
    free(px);
    img_free(&im);
    return bad ? 3 : 0;
}
