/* dn-side.h against AlexeyAB's libdarknet (github.com/AlexeyAB/darknet,
 * built CPU-only from its source: `make OPENMP=1 AVX=1 LIBSO=1`), for
 * ab-harness (`make check-darknet ALEXEYAB=DIR`). Its darknet.h passes
 * networks by pointer or by value where pjreddie's takes pointers, and its
 * detector undoes a letterbox only when asked (letter_box). */
#include <darknet.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dn-side.h"

/* Exported by its libdarknet.so, declared only in its src/parser.h. */
network parse_network_cfg_custom(char *filename, int batch, int time_steps);
void save_weights(network net, char *filename);
void load_weights(network *net, char *filename);

#ifndef AB_COMMIT
#define AB_COMMIT "unknown commit"
#endif

const char *dn_name(void) { return "AlexeyAB's libdarknet (AlexeyAB/darknet " AB_COMMIT ")"; }

void *dn_load(const char *cfg_path)
{
    network *net = malloc(sizeof *net);
    if (net)
        *net = parse_network_cfg_custom((char *)cfg_path, 1, 1);
    return net;
}

int dn_layers(void *dn) { return ((network *)dn)->n; }

dn_layer dn_get(void *dn, int i)
{
    layer *l = &((network *)dn)->layers[i];
    return (dn_layer){l->out_c, l->out_h, l->out_w, l->outputs, l->nweights, l->nbiases,
                      l->output};
}

long dn_params(void *dn, const char *tmp)
{
    save_weights(*(network *)dn, (char *)tmp);
    struct stat st;
    long n = stat(tmp, &st) == 0 ? (long)((st.st_size - 20) / 4) : -1;
    remove(tmp);
    return n;
}

void dn_load_weights(void *dn, const char *path) { load_weights(dn, (char *)path); }

void dn_predict(void *dn, float *input) { network_predict_ptr(dn, input); }

void dn_free(void *dn)
{
    free_network_ptr(dn);
    free(dn);
}

/* a yolo head's scale_x_y, for dn-common.c.inc's head_of */
#define DN_SCALE_XY(l) ((l)->type == YOLO ? (l)->scale_x_y : 1)
#include "dn-common.c.inc"

float dn_diou(void *dn)
{
    network *net = dn;
    layer *l = &net->layers[net->n - 1];     /* its detector reads the last layer's */
    return l->nms_kind == GREEDY_NMS ? .6f : l->nms_kind == DIOU_NMS ? l->beta_nms
                                                                       : l->nms_kind ? -1 : 0;
}

/* As its detector (src/detector.c, test_detector): boxes relative to the
 * image, do_nms_sort for the default kind, diounms_sort for the others,
 * with the last layer's kind and beta. */
int dn_boxes(void *dn, int imw, int imh, int letterbox, float thresh, float nms, dn_box **out)
{
    network *net = dn;
    int n = 0, k = 0, classes = 0;
    NMS_KIND kind = net->layers[net->n - 1].nms_kind;
    float beta = net->layers[net->n - 1].beta_nms;
    for (int i = 0; i < net->n; i++)
        if (is_head(net->layers[i].type))
            classes = net->layers[i].classes;
    /* relative 1, as test_detector: its DIoU-NMS sees image-relative boxes */
    detection *d = get_network_boxes(net, imw, imh, thresh, .5, 0, 1, &n, letterbox);
    if (nms > 0 && kind == DEFAULT_NMS)
        do_nms_sort(d, n, classes, nms);
    else if (nms > 0)
        diounms_sort(d, n, classes, nms, kind, beta);
    *out = malloc(((size_t)n * classes + 1) * sizeof **out);
    for (int i = 0; *out && i < n; i++)
        for (int j = 0; j < classes; j++)
            if (d[i].prob[j] > 0)
                (*out)[k++] = (dn_box){j, d[i].prob[j], d[i].objectness, d[i].bbox.x * imw,
                                       d[i].bbox.y * imh, d[i].bbox.w * imw,
                                       d[i].bbox.h * imh};
    free_detections(d, n);
    return *out ? k : -1;
}
