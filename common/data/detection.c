/* The list of detections (include/yolo/data/detection.h). */
#include <stdlib.h>
#include <string.h>

#include "yolo/base/buf.h"
#include "yolo/data/detection.h"

int detlist_push(detlist *l, const ydet *d)
{
    void *v = l->v;
    if (yvec_fit(&v, &l->cap, l->n + 1, sizeof *l->v) < 0)
        return -1;
    l->v = v;
    l->v[l->n++] = *d;
    return 0;
}

void detlist_free(detlist *l)
{
    free(l->v);
    memset(l, 0, sizeof *l);
}
