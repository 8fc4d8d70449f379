/* A built-in bitmap font for labels on pictures: printable ASCII (32..126)
 * in 5 x 9 cells, designed for this project (common/post/font.c draws each glyph
 * as text art, so the shapes can be read and changed in the source). Rows
 * 0..6 hold capitals and digits, rows 2..6 the x-height of lowercase
 * letters, rows 7..8 the descenders of g, j, p, q, y and the underscore.
 * Any other byte is drawn as '?', one for each UTF-8 character. */
#ifndef YOLO_FONT_H
#define YOLO_FONT_H

#include <stddef.h>

#define FONT_W 5    /* glyph width, font pixels */
#define FONT_H 9    /* glyph height, descenders included */
#define FONT_ADV 6  /* advance from one character to the next (a blank column) */

/* Is font pixel (x, y) of character ch set? 0 <= x < FONT_W, 0 <= y < FONT_H;
 * anything outside the cell is blank. */
int font_pixel(int ch, int x, int y);

/* Text is read as characters: a UTF-8 sequence is one character, and a
 * byte that starts no printable ASCII character is drawn as '?'.
 * font_next returns the character at *pos in text[0, len) (as ASCII) and
 * moves *pos past it, or -1 at the end; font_count counts them. */
int font_next(const char *text, size_t len, size_t *pos);
size_t font_count(const char *text, size_t len);

#endif
