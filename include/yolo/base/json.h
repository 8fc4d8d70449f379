/* Writing JSON text, and base64: what the JSON bridge needs to show any
 * record faithfully; and reading the number tokens a yajl parser hands out
 * (coco-parse, the JSON bridge, COCO results). */
#ifndef YOLO_JSON_H
#define YOLO_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "yolo/base/buf.h"

/* 1 if s[0, n) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
int json_utf8_valid(const uint8_t *s, size_t n);

/* Appends s as a quoted JSON string. s must be valid UTF-8. */
void json_put_str(ybuf *b, const char *s, size_t n);
void json_put_i64(ybuf *b, int64_t v);
void json_put_u64(ybuf *b, uint64_t v);
/* Appends a finite number with the fewest significant digits that read back
 * as the same double (float), always with a '.' or an exponent so that it
 * reads back as a float and not an integer. */
void json_put_f64(ybuf *b, double v);
void json_put_f32(ybuf *b, float v);
/* Appends a finite number with `digits` significant digits, float-looking. */
void json_put_approx(ybuf *b, double v, int digits);

void base64_encode(ybuf *b, const uint8_t *p, size_t n);
/* Decodes standard base64 (padding required, no whitespace) into b.
 * Returns 0, or -1 if s is not base64. */
int base64_decode(ybuf *b, const char *s, size_t n);

/* A JSON integer token (syntax already checked): 0, -1 if it has a fraction
 * or an exponent, -2 if it is outside int64. */
int json_parse_i64(const char *s, size_t n, int64_t *v);
/* A JSON number token as the nearest double: 0, -1 if it is out of the
 * double range, -2 if it is longer than 127 characters. */
int json_parse_f64(const char *s, size_t n, double *v);
/* Newlines in s[0, n), for "line N" in messages. */
uint64_t json_count_lines(const uint8_t *s, size_t n);

#endif
