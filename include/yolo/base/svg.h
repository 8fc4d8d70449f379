/* What the project's SVG pictures share (kmeans-anchors --plot, the
 * training loss plot): text escaping and the series colours. */
#ifndef YOLO_SVG_H
#define YOLO_SVG_H

#include <stdio.h>

/* Writes s as SVG text: the characters XML reserves are escaped. */
void svg_text(FILE *f, const char *s);
/* The colour of series i ("#1f77b4", ...), cycling through ten. */
const char *svg_colour(int i);

#endif
