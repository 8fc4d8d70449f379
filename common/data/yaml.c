/* The YAML subset of dataset files (include/yolo/data/yaml.h).
 *
 * A recursive descent over the whole text (at most YAML_MAX_BYTES), which
 * is read into memory with CRLF made LF. Block collections are told apart
 * by the column their lines start at: a map's keys all start at one
 * column, a list's "- " too, and a nested block starts further right (a
 * list may start at its key's column, as YAML allows). */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yolo/base/buf.h"
#include "yolo/data/yaml.h"

typedef struct yp {
    const char *path;
    const char *s;          /* the text, NUL-terminated (a NUL in the file is an error) */
    size_t pos;             /* the next character */
    size_t bol;             /* where pos's line begins */
    long line;              /* pos's line, from 1 */
    int depth;              /* collections open */
    char marker;            /* '-' or '.': next_content stopped at "---" or "..." */
    ybuf tok;               /* the scalar just read, NUL-terminated */
    yerr *err;
} yp;

static int fail(yp *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(yp *p, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return yerr_set(p->err, YOLO_EINPUT, "%s:%ld: %s", p->path, p->line, msg);
}

static int oom(yp *p) { return yerr_set(p->err, YOLO_EIO, "out of memory"); }

static char at(const yp *p) { return p->s[p->pos]; }
/* The character after pos (NUL when pos is at the end). */
static char next_char(const yp *p) { return at(p) ? p->s[p->pos + 1] : 0; }
static long col(const yp *p) { return (long)(p->pos - p->bol); }
static int blank(char c) { return c == ' ' || c == '\t'; }
/* What may follow an indicator ("-", ":") for it to be one. */
static int ends(char c) { return c == 0 || c == '\n' || blank(c); }
static int is_item(const yp *p) { return at(p) == '-' && ends(next_char(p)); }

static void newline(yp *p)
{
    p->pos++;
    p->line++;
    p->bol = p->pos;
}

/* Past blanks and a comment, to the end of the line (not past it). */
static void skip_to_eol(yp *p)
{
    while (blank(at(p)))
        p->pos++;
    if (at(p) == '#')
        while (at(p) && at(p) != '\n')
            p->pos++;
}

/* The end of a value's line: only blanks or a comment may follow. */
static int end_line(yp *p)
{
    skip_to_eol(p);
    if (at(p) && at(p) != '\n')
        return fail(p, "unexpected text after the value: '%.20s'", p->s + p->pos);
    return 0;
}

/* A document marker ("---", "...") starts the line at pos. */
static int marker_here(const yp *p)
{
    const char *s = p->s + p->pos;
    return p->pos == p->bol && (strncmp(s, "---", 3) == 0 || strncmp(s, "...", 3) == 0) &&
           ends(s[3]);
}

/* To the next content, past blanks, comments and line ends: 1 there, 0 at
 * the end of the text or at a document marker (p->marker), -1 for a tab in
 * the indentation of a line with content. */
static int next_content(yp *p)
{
    for (;;) {
        if (marker_here(p)) {
            p->marker = at(p);
            return 0;
        }
        int from_bol = p->pos == p->bol, tab = 0;
        while (blank(at(p)))
            tab |= p->s[p->pos++] == '\t';
        if (at(p) == '#')
            skip_to_eol(p);
        if (at(p) == '\n') {
            newline(p);
            continue;
        }
        if (!at(p))
            return 0;
        if (from_bol && tab)
            return fail(p, "a tab in the indentation (YAML indents with spaces)");
        return 1;
    }
}

/* ---- scalars ------------------------------------------------------------------ */

static int put_utf8(ybuf *b, uint32_t c)
{
    if (c < 0x80)
        return ybuf_putc(b, (int)c);
    if (c < 0x800)
        return ybuf_putc(b, 0xC0 | (int)(c >> 6)) | ybuf_putc(b, 0x80 | (int)(c & 63));
    if (c < 0x10000)
        return ybuf_putc(b, 0xE0 | (int)(c >> 12)) | ybuf_putc(b, 0x80 | (int)((c >> 6) & 63)) |
               ybuf_putc(b, 0x80 | (int)(c & 63));
    return ybuf_putc(b, 0xF0 | (int)(c >> 18)) | ybuf_putc(b, 0x80 | (int)((c >> 12) & 63)) |
           ybuf_putc(b, 0x80 | (int)((c >> 6) & 63)) | ybuf_putc(b, 0x80 | (int)(c & 63));
}

/* \xHH, \uHHHH, \UHHHHHHHH: digits hex digits at pos. */
static int hex_escape(yp *p, int digits)
{
    uint32_t c = 0;
    for (int i = 0; i < digits; i++, p->pos++) {
        char h = at(p);
        int v = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10
              : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
        if (v < 0)
            return fail(p, "an escape wants %d hex digits", digits);
        c = c * 16 + (uint32_t)v;
    }
    if (c == 0 || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return fail(p, "an escape names character U+%04X, which is not read", (unsigned)c);
    return put_utf8(&p->tok, c) < 0 ? oom(p) : 0;
}

/* The escape after a backslash in a "double-quoted" string. */
static int escape(yp *p)
{
    static const char from[] = "abtnvfre \"/\\\t", to[] = "\a\b\t\n\v\f\r\033 \"/\\\t";
    char e = at(p);
    const char *k = e ? strchr(from, e) : NULL;
    p->pos++;
    if (k)
        return ybuf_putc(&p->tok, to[k - from]) < 0 ? oom(p) : 0;
    if (e == 'x' || e == 'u' || e == 'U')
        return hex_escape(p, e == 'x' ? 2 : e == 'u' ? 4 : 8);
    p->pos--;
    return fail(p, "the escape \\%c is not read", e ? e : '0');
}

/* A 'single' or "double" quoted scalar into p->tok; it must end on its line. */
static int quoted(yp *p)
{
    char q = at(p);
    p->tok.len = 0;
    p->pos++;
    for (;;) {
        char c = at(p);
        if (!c || c == '\n')
            return fail(p, "a quoted string that does not end on its line");
        p->pos++;
        if (c == q && !(q == '\'' && at(p) == '\''))
            break;
        if (c == '\\' && q == '"') {
            if (escape(p) < 0)
                return -1;
            continue;
        }
        p->pos += c == '\'' && q == '\'';   /* '' is one ' */
        if (ybuf_putc(&p->tok, c) < 0)
            return oom(p);
    }
    return ybuf_putc(&p->tok, 0) < 0 ? oom(p) : 0;
}

static int flow_stop(char c) { return c && strchr(",[]{}", c); }

/* A plain scalar into p->tok: to the end of the line, a comment, ": " (or
 * ':' at the end of the line) and, in a flow collection, a flow indicator;
 * blanks at its end left out. */
static int plain(yp *p, int flow)
{
    size_t start = p->pos;
    for (;;) {
        char c = at(p), n = next_char(p);
        if (!c || c == '\n' || (c == ':' && (ends(n) || (flow && flow_stop(n)))) ||
            (c == '#' && p->pos > start && blank(p->s[p->pos - 1])) || (flow && flow_stop(c)))
            break;
        p->pos++;
    }
    size_t end = p->pos;
    while (end > start && blank(p->s[end - 1]))
        end--;
    p->tok.len = 0;
    if (ybuf_put(&p->tok, p->s + start, end - start) < 0 || ybuf_putc(&p->tok, 0) < 0)
        return oom(p);
    return 0;
}

/* Characters that cannot start a plain scalar here, with what they mean. */
static int check_start(yp *p, int flow)
{
    char c = at(p), n = next_char(p);
    if (c && strchr("&*!", c))
        return fail(p, "'%c': anchors, aliases and tags are not read by this YAML reader", c);
    if (c && strchr("%@`", c))
        return fail(p, "'%c' cannot start a value (quote it)", c);
    if (c == '?' && ends(n))
        return fail(p, "'? ': complex keys are not read by this YAML reader");
    if (flow && (flow_stop(c) || c == '|' || c == '>'))
        return fail(p, "'%c' where a value was expected", c);
    if (c == ':' && ends(n))
        return fail(p, "a ':' with no key before it");
    return 0;
}

/* A scalar (quoted or plain) into p->tok; *q: whether it was quoted. */
static int scalar(yp *p, int flow, int *q)
{
    *q = at(p) == '"' || at(p) == '\'';
    if (*q)
        return quoted(p);
    return check_start(p, flow) < 0 ? -1 : plain(p, flow);
}

/* Makes n the scalar in p->tok (or NULL for ~, null and an empty plain one). */
static int set_scalar(yp *p, yaml_node *n, int q, long line)
{
    const char *t = (const char *)p->tok.p;
    n->line = line;
    if (!q && (!t[0] || strcmp(t, "~") == 0 || strcmp(t, "null") == 0 ||
               strcmp(t, "Null") == 0 || strcmp(t, "NULL") == 0)) {
        n->kind = YAML_NULL;
        return 0;
    }
    n->kind = YAML_SCALAR;
    n->quoted = q;
    return (n->text = strdup(t)) ? 0 : oom(p);
}

/* ---- collections -------------------------------------------------------------- */

/* A new last slot of c (and its key's, in a map), zeroed: its index, or -1. */
static long grow(yp *p, yaml_node *c)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 8;
        yaml_node *items = realloc(c->items, cap * sizeof *items);
        if (items)
            c->items = items;
        yaml_node *keys = c->kind == YAML_MAP && items ? realloc(c->keys, cap * sizeof *keys)
                                                       : c->keys;
        if (!items || (c->kind == YAML_MAP && !keys))
            return oom(p);
        c->keys = keys;
        c->cap = cap;
    }
    memset(&c->items[c->n], 0, sizeof *c->items);
    if (c->keys)
        memset(&c->keys[c->n], 0, sizeof *c->keys);
    return (long)c->n++;
}

/* Adds the key in p->tok to map m: its index, or -1 (a key given twice). */
static long add_key(yp *p, yaml_node *m, int q, long line)
{
    long seen;
    if (yaml_get(m, (const char *)p->tok.p, &seen))
        return fail(p, "the key '%.80s' is given twice (first at line %ld)",
                    (const char *)p->tok.p, seen);
    long i = grow(p, m);
    if (i >= 0 && set_scalar(p, &m->keys[i], q, line) < 0)
        return -1;
    if (i >= 0 && m->keys[i].kind == YAML_NULL)
        return fail(p, "an empty or null key");
    return i;
}

static int parse_node(yp *p, long indent, yaml_node *out, int block_ok);

/* Blanks, line ends and comments inside a flow collection; its end must
 * come before the text's. */
static int flow_space(yp *p, char open, long line0)
{
    for (;;) {
        while (blank(at(p)))
            p->pos++;
        if (at(p) == '#')
            skip_to_eol(p);
        if (at(p) == '\n') {
            newline(p);
            continue;
        }
        if (!at(p) || marker_here(p))
            return fail(p, "the '%c' of line %ld has no '%c'", open, line0,
                        open == '[' ? ']' : '}');
        return 0;
    }
}

static int flow_node(yp *p, yaml_node *out);

/* One entry of a flow collection: an item, or key: value. */
static int flow_entry(yp *p, yaml_node *c, char open, long line0)
{
    long i;
    if (open == '[') {
        if ((i = grow(p, c)) < 0 || flow_node(p, &c->items[i]) < 0 ||
            flow_space(p, open, line0) < 0)
            return -1;
        return at(p) == ':' ? fail(p, "a key: value pair inside [ ] is not read") : 0;
    }
    int q;
    long line = p->line;
    if (at(p) == '[' || at(p) == '{')
        return fail(p, "a key must be a plain or quoted scalar");
    if (scalar(p, 1, &q) < 0 || (i = add_key(p, c, q, line)) < 0 ||
        flow_space(p, open, line0) < 0)
        return -1;
    if (at(p) != ':')
        return fail(p, "expected ':' after the key '%.80s'", (const char *)c->keys[i].text);
    p->pos++;
    if (flow_space(p, open, line0) < 0)
        return -1;
    if (at(p) == ',' || at(p) == '}') {
        c->items[i] = (yaml_node){.kind = YAML_NULL, .line = p->line};
        return 0;
    }
    return flow_node(p, &c->items[i]);
}

/* [a, b] or {k: v, ...}, over as many lines as it takes; a comma may end
 * the entries. */
static int flow(yp *p, yaml_node *out)
{
    char open = at(p), close = open == '[' ? ']' : '}';
    long line0 = p->line;
    if (++p->depth > YAML_MAX_DEPTH)
        return fail(p, "collections nested more than %d deep", YAML_MAX_DEPTH);
    *out = (yaml_node){.kind = open == '[' ? YAML_SEQ : YAML_MAP, .line = line0};
    p->pos++;
    for (;;) {
        if (flow_space(p, open, line0) < 0)
            return -1;
        if (at(p) == close)
            break;
        if (flow_entry(p, out, open, line0) < 0 || flow_space(p, open, line0) < 0)
            return -1;
        if (at(p) == close)
            break;
        if (at(p) != ',')
            return fail(p, "expected ',' or '%c' in the '%c' of line %ld", close, open, line0);
        p->pos++;
    }
    p->pos++;
    p->depth--;
    return 0;
}

static int flow_node(yp *p, yaml_node *out)
{
    int q;
    long line = p->line;
    if (at(p) == '[' || at(p) == '{')
        return flow(p, out);
    if (scalar(p, 1, &q) < 0)
        return -1;
    if (!q && !p->tok.p[0])
        return fail(p, "an empty entry");
    return set_scalar(p, out, q, line);
}

/* A literal (|) or folded (>) block scalar: the header, then the lines
 * indented further than indent (the first one sets how far). Its text is
 * kept (lines joined by a line end, or for > a space); no dataset key is
 * read from one. */
static int block_scalar(yp *p, long indent, yaml_node *out)
{
    char style = at(p);
    long line0 = p->line;
    p->pos++;
    while (at(p) == '+' || at(p) == '-' || (at(p) >= '1' && at(p) <= '9'))
        p->pos++;
    if (end_line(p) < 0)
        return -1;
    ybuf text = {0};
    long want = -1;   /* the block's indentation, set by its first line with text */
    while (at(p) == '\n') {
        newline(p);
        long sp = 0;
        while (p->s[p->pos + (size_t)sp] == ' ')
            sp++;
        char c = p->s[p->pos + (size_t)sp];
        if (c && c != '\n' && want < 0)
            want = sp > indent ? sp : LONG_MAX;
        if (!c || (c != '\n' && sp < want)) {
            p->pos = p->bol;   /* further left (or the end): the parent's line */
            break;
        }
        if (text.len)
            ybuf_putc(&text, style == '|' || c == '\n' ? '\n' : ' ');
        p->pos += (size_t)(c == '\n' ? sp : want);
        while (at(p) && at(p) != '\n')
            ybuf_putc(&text, p->s[p->pos++]);
    }
    while (text.len && text.p[text.len - 1] == '\n')
        text.len--;
    *out = (yaml_node){.kind = YAML_SCALAR, .line = line0};
    int bad = ybuf_putc(&text, 0) < 0 || !(out->text = strdup((const char *)text.p));
    ybuf_free(&text);
    return bad ? oom(p) : 0;
}

/* The next line of a block collection at column c: 1 it goes on there,
 * 0 it ended (the text's end, a marker, or a line further left), -1 a
 * line further right. */
static int block_next(yp *p, long c)
{
    int rc = next_content(p);
    if (rc <= 0 || col(p) < c)
        return rc < 0 ? -1 : 0;
    if (col(p) > c)
        return fail(p, "unexpected indentation (column %ld, the block above is at %ld; a "
                    "value over several lines is not read)", col(p) + 1, c + 1);
    return 1;
}

/* The value after "key:" (in_seq 0) or "- " (in_seq 1): on the same line
 * (a block collection only after "- "), or on the lines below when they are
 * indented further than c (a list after a key may also be at c); else
 * null. */
static int block_value(yp *p, long c, yaml_node *v, int in_seq, long line)
{
    while (blank(at(p)))
        p->pos++;
    if (at(p) && at(p) != '\n' && at(p) != '#')
        return parse_node(p, c, v, in_seq);
    skip_to_eol(p);
    int rc = next_content(p);
    if (rc < 0)
        return -1;
    if (rc == 1 && (col(p) > c || (col(p) == c && !in_seq && is_item(p))))
        return parse_node(p, c, v, 1);
    *v = (yaml_node){.kind = YAML_NULL, .line = line};
    return 0;
}

/* A block list at column c ("- " lines), pos at its first '-'. */
static int block_seq(yp *p, yaml_node *out)
{
    long c = col(p);
    *out = (yaml_node){.kind = YAML_SEQ, .line = p->line};
    for (;;) {
        long i = grow(p, out), line = p->line, rc;
        if (i < 0)
            return -1;
        p->pos++;
        if (block_value(p, c, &out->items[i], 1, line) < 0 || (rc = block_next(p, c)) < 0)
            return -1;
        if (rc == 0 || !is_item(p))
            return 0;   /* a key at c is the map's that holds this list */
    }
}

/* A block map at column c, pos after its first key (in p->tok, read at
 * line key_line) and any blanks, at the ':'. */
static int block_map(yp *p, long c, yaml_node *out, int q, long key_line)
{
    *out = (yaml_node){.kind = YAML_MAP, .line = key_line};
    for (;;) {
        long i = add_key(p, out, q, key_line), rc;
        if (i < 0)
            return -1;
        p->pos++;
        if (block_value(p, c, &out->items[i], 0, key_line) < 0 || (rc = block_next(p, c)) < 0)
            return -1;
        if (rc == 0)
            return 0;
        if (is_item(p))
            return fail(p, "a list item where a 'key: value' line was expected");
        key_line = p->line;
        if (at(p) == '[' || at(p) == '{')
            return fail(p, "a key must be a plain or quoted scalar");
        if (scalar(p, 0, &q) < 0)
            return -1;
        while (blank(at(p)))
            p->pos++;
        if (at(p) != ':' || !ends(next_char(p)))
            return fail(p, "expected 'key: value', got '%.40s'", (const char *)p->tok.p);
    }
}

/* The node at pos (a content character): a flow collection, a block
 * scalar, a block list, a block map (its first key here), or a scalar.
 * indent: the column of the collection holding it (-1 at the top).
 * block_ok: 0 after "key: " on the same line, where a block collection
 * cannot start. */
static int parse_node(yp *p, long indent, yaml_node *out, int block_ok)
{
    long line = p->line, c = col(p);
    int rc, q;
    if (++p->depth > YAML_MAX_DEPTH)
        return fail(p, "collections nested more than %d deep", YAML_MAX_DEPTH);
    if (at(p) == '[' || at(p) == '{')
        rc = flow(p, out) < 0 ? -1 : end_line(p);
    else if (at(p) == '|' || at(p) == '>')
        rc = block_scalar(p, indent, out);
    else if (is_item(p))
        rc = block_ok ? block_seq(p, out)
                      : fail(p, "a list cannot start on its key's line: put it on the next");
    else if (scalar(p, 0, &q) < 0)
        rc = -1;
    else {
        while (blank(at(p)))
            p->pos++;
        if (at(p) == ':' && ends(next_char(p)))
            rc = block_ok ? block_map(p, c, out, q, line)
                          : fail(p, "a 'key: value' after another on one line");
        else
            rc = set_scalar(p, out, q, line) < 0 ? -1 : end_line(p);
    }
    p->depth--;
    return rc;
}

/* ---- the file ---------------------------------------------------------------- */

/* The file's text, NUL-terminated, with CRLF made LF and a byte-order mark
 * left out, into b. */
static int read_text(const char *path, ybuf *b, yerr *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return yerr_set(err, YOLO_EIO, "%s: %s", path, strerror(errno));
    char chunk[1 << 14];
    size_t k;
    while ((k = fread(chunk, 1, sizeof chunk, f)) > 0 && b->len <= (size_t)YAML_MAX_BYTES)
        ybuf_put(b, chunk, k);
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return yerr_set(err, YOLO_EIO, "%s: read error", path);
    if (b->len > (size_t)YAML_MAX_BYTES)
        return yerr_set(err, YOLO_EINPUT, "%s: more than %ld bytes", path, YAML_MAX_BYTES);
    size_t w = 0, r = b->len >= 3 && memcmp(b->p, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    long line = 1;
    for (; r < b->len; r++) {
        if (b->p[r] == 0)
            return yerr_set(err, YOLO_EINPUT, "%s:%ld: a NUL byte", path, line);
        line += b->p[r] == '\n';
        if (!(b->p[r] == '\r' && r + 1 < b->len && b->p[r + 1] == '\n'))
            b->p[w++] = b->p[r];
    }
    b->len = w;
    return ybuf_putc(b, 0) < 0 ? yerr_set(err, YOLO_EIO, "out of memory") : 0;
}

/* Past a "---" or "..." line (nothing but a comment may follow it). */
static int past_marker(yp *p)
{
    p->pos += 3;
    p->marker = 0;
    if (end_line(p) < 0)
        return fail(p, "a value on a document marker's line is not read");
    return 0;
}

static int document(yp *p, yaml_node *root)
{
    int rc = next_content(p);
    if (rc == 0 && p->marker == '-' && (past_marker(p) < 0 || (rc = next_content(p)) < 0))
        return -1;
    if (rc == 1 && parse_node(p, -1, root, 1) < 0)
        return -1;
    if (rc == 1 && (rc = next_content(p)) == 1)
        return fail(p, "unexpected text: the document's top level ended above");
    if (rc == 0 && p->marker == '-')
        return fail(p, "a second document ('---'): only one is read");
    if (rc == 0 && p->marker == '.' && (past_marker(p) < 0 || (rc = next_content(p)) != 0 ||
                                       p->marker))
        return rc < 0 ? -1 : fail(p, "text after the end of the document ('...')");
    return rc < 0 ? -1 : 0;
}

int yaml_load(yaml_node *root, const char *path, yerr *err)
{
    ybuf text = {0};
    memset(root, 0, sizeof *root);
    root->line = 1;
    int rc = read_text(path, &text, err);
    if (rc == 0) {
        yp p = {.path = path, .s = (const char *)text.p, .line = 1, .err = err};
        rc = document(&p, root);
        ybuf_free(&p.tok);
    }
    ybuf_free(&text);
    if (rc < 0)
        yaml_free(root);
    return rc;
}

const yaml_node *yaml_get(const yaml_node *map, const char *key, long *key_line)
{
    if (!map || map->kind != YAML_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (map->keys[i].text && strcmp(map->keys[i].text, key) == 0) {
            if (key_line)
                *key_line = map->keys[i].line;
            return &map->items[i];
        }
    return NULL;
}

void yaml_free(yaml_node *n)
{
    for (size_t i = 0; i < n->n; i++) {
        yaml_free(&n->items[i]);
        if (n->keys)
            yaml_free(&n->keys[i]);
    }
    free(n->items);
    free(n->keys);
    free(n->text);
    memset(n, 0, sizeof *n);
}
