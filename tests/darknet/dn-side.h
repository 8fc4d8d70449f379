/* The libdarknet side of the harness, in its own translation unit: darknet.h
 * and include/yolo/net/network.h both define `layer` and `network`. Two
 * implementations: dn-side.c (Debian's libdarknet, pjreddie's darknet) and
 * ab-side.c (AlexeyAB's fork, built from its source). */
#ifndef DN_SIDE_H
#define DN_SIDE_H

typedef struct dn_layer {
    int out_c, out_h, out_w, outputs, nweights, nbiases;
    const float *output;    /* [outputs] after dn_predict */
} dn_layer;

/* Which darknet this is, for the fixtures' headers. */
const char *dn_name(void);
void *dn_load(const char *cfg_path);            /* parse_network_cfg, batch 1 */
int dn_layers(void *dn);
dn_layer dn_get(void *dn, int i);
long dn_params(void *dn, const char *tmp);      /* floats save_weights writes */
void dn_load_weights(void *dn, const char *path);
void dn_predict(void *dn, float *input);
void dn_free(void *dn);
/* An image decoded and resized (bilinear) by darknet, as 8-bit RGB rows
 * into rgb [h, w, 3]; -1 if it cannot be read. */
int dn_image_rgb(const char *path, int w, int h, unsigned char *rgb);
/* darknet's load_image_color of path, as [3, h, w] floats into out (h x w
 * must be the size given); -1 if it cannot be read or has another size. */
int dn_load_color(const char *path, int w, int h, float *out);
/* darknet's resize_image (letterbox 0) or letterbox_image (letterbox 1) of
 * the [c, sh, sw] image data, copied into a darknet image, so that decoding
 * plays no part; out gets [c, h, w]. -1 if darknet fails. */
int dn_resize(const float *data, int sw, int sh, int c, int w, int h, int letterbox,
              float *out);


/* ---- boxes: darknet's detector path (get_network_boxes, do_nms_sort) ---- */

enum { DN_REGION, DN_YOLO, DN_DETECTION };
#define DN_MAX_HEADS 8

/* A detection head after dn_detect: its raw input (the previous layer's
 * output, untouched by the head's in-place activations) and its metadata. */
typedef struct dn_head {
    int type;                 /* DN_* */
    const float *raw;         /* [n] */
    int n;
    int c, h, w;              /* region, yolo: raw is [c, h, w] */
    int classes, coords, num, total, side, softmax, sqrt_wh;
    int mask[64];             /* yolo: [num] */
    float anchors[128];       /* region [2*num], yolo [2*total] */
    float scale_xy;           /* yolo: AlexeyAB's scale_x_y (1 in pjreddie's) */
} dn_head;

/* One (prediction, class) with prob > 0: centre and size in image pixels. */
typedef struct dn_box {
    int cls;
    float prob, objectness, x, y, w, h;
} dn_box;

/* darknet's load_image_color of jpg, letterbox_image (letterbox 1) or
 * resize_image to the network size, network_predict; *imw, *imh the
 * image's size. Fills heads[*nheads]. -1 if the image cannot be read. */
int dn_detect(void *dn, const char *jpg, int letterbox, int *imw, int *imh, dn_head *heads,
              int *nheads);
/* After dn_detect: get_network_boxes(thresh, hier .5, relative 0; AlexeyAB's
 * also letterbox) and, when nms > 0, do_nms_sort (AlexeyAB's: the NMS of
 * the heads' nms_kind, diounms_sort for greedynms and diounms); the pairs
 * with prob > 0 into *out (malloc'd). Returns their number, -1 out of
 * memory. */
int dn_boxes(void *dn, int imw, int imh, int letterbox, float thresh, float nms, dn_box **out);
/* The DIoU exponent of the NMS dn_boxes runs (`nms --diou`): 0 for plain
 * IoU (do_nms_sort), AlexeyAB's .6 for greedynms, beta_nms for diounms; -1
 * for a kind this project does not have (cornersnms). */
float dn_diou(void *dn);

#endif
