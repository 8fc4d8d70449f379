/* common/data/yaml.c: the YAML subset of dataset files (data.yaml), read
 * into a tree and written back compactly here to compare; and each thing
 * outside the subset refused with the file and line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "yolo/base/buf.h"
#include "yolo/data/yaml.h"

static char path[64];

/* n as {k:v,...}, [a,...], 'text' (quoted ones "text") and ~ for null. */
static void dump(ybuf *b, const yaml_node *n)
{
    switch (n->kind) {
    case YAML_NULL: ybuf_puts(b, "~"); break;
    case YAML_SCALAR:
        ybuf_puts(b, n->quoted ? "\"" : "'");
        ybuf_puts(b, n->text);
        ybuf_puts(b, n->quoted ? "\"" : "'");
        break;
    case YAML_SEQ:
    case YAML_MAP:
        ybuf_putc(b, n->kind == YAML_SEQ ? '[' : '{');
        for (size_t i = 0; i < n->n; i++) {
            if (i)
                ybuf_putc(b, ',');
            if (n->kind == YAML_MAP) {
                dump(b, &n->keys[i]);
                ybuf_putc(b, ':');
            }
            dump(b, &n->items[i]);
        }
        ybuf_putc(b, n->kind == YAML_SEQ ? ']' : '}');
        break;
    }
}

/* Loads text; its dump into out[size], or the error message. 0 or -1. */
static int load(const char *text, char *out, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        snprintf(out, size, "cannot write %s", path);
        return -1;
    }
    yaml_node root;
    yerr err;
    if (yaml_load(&root, path, &err) < 0) {
        snprintf(out, size, "%s", err.msg + strlen(path) + 1);   /* "LINE: why" */
        return -1;
    }
    ybuf b = {0};
    dump(&b, &root);
    ybuf_putc(&b, 0);
    snprintf(out, size, "%s", b.p ? (const char *)b.p : "");
    ybuf_free(&b);
    yaml_free(&root);
    return 0;
}

static void reads(const char *text, const char *want, const char *what)
{
    char got[2048];
    int rc = load(text, got, sizeof got);
    CHECK(rc == 0 && strcmp(got, want) == 0, "%s", what);
    if (rc != 0 || strcmp(got, want) != 0)
        printf("#   got  %s\n#   want %s\n", got, want);
}

/* Refused, with a message starting "LINE: " and holding why. */
static void refuses(const char *text, const char *want, const char *what)
{
    char got[2048];
    int rc = load(text, got, sizeof got);
    CHECK(rc < 0 && strstr(got, want) == got, "refused: %s", what);
    if (!(rc < 0 && strstr(got, want) == got))
        printf("#   got  %s\n#   want %s...\n", got, want);
}

static void test_reads(void)
{
    reads("# an ultralytics dataset\n"
          "path: ../datasets/coco8  # the root\n"
          "train: images/train\n"
          "val: images/val\n"
          "test:  # none\n"
          "\n"
          "names:\n"
          "  0: person\n"
          "  1: bicycle\n"
          "  2: 'traffic light'\n",
          "{'path':'../datasets/coco8','train':'images/train','val':'images/val','test':~,"
          "'names':{'0':'person','1':'bicycle','2':\"traffic light\"}}",
          "a data.yaml: scalars, comments, an empty value, a map of names");
    reads("train: ../train/images\r\nval: ../valid/images\r\n\r\nnc: 3\r\n"
          "names: ['head', \"helmet\", person]\r\n\r\nroboflow:\r\n  workspace: w\r\n"
          "  version: 2\r\n  url: https://universe.roboflow.com/w/p/2\r\n",
          "{'train':'../train/images','val':'../valid/images','nc':'3',"
          "'names':[\"head\",\"helmet\",'person'],'roboflow':{'workspace':'w','version':'2',"
          "'url':'https://universe.roboflow.com/w/p/2'}}",
          "a labelling tool's export: CRLF, a flow list, a nested map, a URL");
    reads("names: [ 'person', 'bicycle',\n         'car', # three\n  ]\nnc: 3\n",
          "{'names':[\"person\",\"bicycle\",\"car\"],'nc':'3'}",
          "a flow list over several lines, with a comment and a trailing comma");
    reads("train:\n- images/a\n- lists/b.txt\nval:\n  - x\n  -  y  # z\n",
          "{'train':['images/a','lists/b.txt'],'val':['x','y']}",
          "block lists at the key's column and further right");
    reads("names: {0: a, 1: \"b c\", 2: 'it''s'}\n",
          "{'names':{'0':'a','1':\"b c\",'2':\"it's\"}}", "a flow map; '' in single quotes");
    reads("\xEF\xBB\xBF---\nk: \"tab\\there \\u00e9 \\x41 \\\\ \\\"\"\n...\n# done\n",
          "{'k':\"tab\there \xC3\xA9 A \\ \"\"}",
          "a byte-order mark, document markers, double-quoted escapes to UTF-8");
    reads("download: |\n  import os\n    indented\n\n  last\nnames: [a]\n",
          "{'download':'import os\n  indented\n\nlast','names':['a']}",
          "a literal block scalar, kept as text; the map goes on after it");
    reads("d: >-\n  one\n  two\nx: ~\ny: null\nz: a#b\n",
          "{'d':'one two','x':~,'y':~,'z':'a#b'}", "a folded block scalar; nulls; # in a word");
    reads("- a: 1\n  b: [x, [y, z]]\n- - p\n  - q\n",
          "[{'a':'1','b':['x',['y','z']]},['p','q']]", "compact maps and lists in list items");
    reads("", "~", "an empty file is a null document");
    reads("# only a comment\n", "~", "a comment alone is a null document");
    reads("t: 12:30\nu: http://x:8/y\n", "{'t':'12:30','u':'http://x:8/y'}",
          "colons inside plain scalars");
}

static void test_refuses(void)
{
    refuses("a: 1\nb: &x 2\n", "2: '&': anchors, aliases and tags", "an anchor");
    refuses("a: *x\n", "1: '*': anchors", "an alias");
    refuses("a: !!str 1\n", "1: '!': anchors, aliases and tags", "a tag");
    refuses("? a\n: b\n", "1: '? ': complex keys", "a complex key");
    refuses("a: 1\na: 2\n", "2: the key 'a' is given twice (first at line 1)", "a key twice");
    refuses("a: 1\n---\nb: 2\n", "2: a second document", "two documents");
    refuses("a: 1\n...\nb: 2\n", "3: text after the end of the document", "text after '...'");
    refuses("a:\n\tb: 1\n", "2: a tab in the indentation", "a tab indenting");
    refuses("a: one\n  two\n", "2: unexpected indentation", "a plain scalar over two lines");
    refuses("a: 'one\n  two'\n", "1: a quoted string that does not end on its line",
            "a quoted scalar over two lines");
    refuses("names: [a, b\nnc: 2\n", "2: expected ',' or ']' in the '[' of line 1",
            "a [ that a key follows");
    refuses("names: [a, b,\n", "2: the '[' of line 1 has no ']'", "a [ to the end of the file");
    refuses("names: [a b: c]\n", "1: a key: value pair inside [ ] is not read",
            "a pair in a flow list");
    refuses("names: [a, , b]\n", "1: ',' where a value was expected", "an empty flow entry");
    refuses("names: {0 a}\n", "1: expected ':' after the key '0 a'", "a flow map without ':'");
    refuses("a: b: c\n", "1: a 'key: value' after another on one line", "two keys on a line");
    refuses("a: - b\n", "1: a list cannot start on its key's line", "a list after a key");
    refuses("a: 1\n- b\n", "2: a list item where a 'key: value' line was expected",
            "a list item in a map");
    refuses("a: 1\nfoo\n", "2: expected 'key: value', got 'foo'", "a line without ':'");
    refuses("a: [1] x\n", "1: unexpected text after the value", "text after a flow list");
    refuses("a: \"\\q\"\n", "1: the escape \\q is not read", "an unknown escape");
    refuses("a: \"\\x00\"\n", "1: an escape names character U+0000", "a NUL escape");
    refuses("a: %x\n", "1: '%' cannot start a value", "a reserved indicator");
    refuses("- a\nb: 1\n", "2: unexpected text: the document's top level ended above",
            "a map after a top-level list");
    refuses("a:\n  b: 1\n c: 2\n", "3: unexpected indentation", "a key between two columns");
    char deep[200] = "a: ";
    for (int i = 0; i < 70; i++)
        strcat(deep, "[");
    refuses(deep, "1: collections nested more than 64 deep", "nesting past 64");
    char nul[] = "a: 1\nb: x\0y\n";
    FILE *f = fopen(path, "wb");
    fwrite(nul, 1, sizeof nul - 1, f);
    fclose(f);
    yaml_node root;
    yerr err;
    char want[128];
    snprintf(want, sizeof want, "%s:2: a NUL byte", path);
    CHECK(yaml_load(&root, path, &err) < 0 && strcmp(err.msg, want) == 0, "refused: a NUL byte");
    CHECK(yaml_load(&root, "/nonexistent/d.yaml", &err) < 0 && err.code == YOLO_EIO &&
              strcmp(err.msg, "/nonexistent/d.yaml: No such file or directory") == 0,
          "a missing file: YOLO_EIO naming it");
}

static void test_get(void)
{
    FILE *f = fopen(path, "wb");
    fputs("a: 1\n\nb:\n  - x\n", f);
    fclose(f);
    yaml_node root;
    yerr err;
    long line = 0;
    CHECK(yaml_load(&root, path, &err) == 0, "loads");
    const yaml_node *b = yaml_get(&root, "b", &line);
    CHECK(b && b->kind == YAML_SEQ && line == 3 && b->items[0].line == 4,
          "yaml_get: the value and the key's line; items have their lines");
    CHECK(!yaml_get(&root, "c", NULL) && !yaml_get(b, "x", NULL), "no such key; not a map");
    yaml_free(&root);
}

int main(void)
{
    snprintf(path, sizeof path, "/tmp/test_yaml.%ld.yaml", (long)getpid());
    test_reads();
    test_refuses();
    test_get();
    unlink(path);
    return check_done();
}
