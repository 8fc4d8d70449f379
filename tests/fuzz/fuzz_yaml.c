/* yaml_load (yolo-parse's data.yaml reader) over one arbitrary file: the
 * tree it returns must hold together (map keys are scalars with text, a
 * collection's n within its cap and its depth within YAML_MAX_DEPTH, lines
 * from 1), and every error must say something. */
#include "fuzz.h"
#include "yolo/data/yaml.h"

static char path[4352];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_path(path, "data.yaml");
    return 0;
}

static void walk(const yaml_node *n, int depth)
{
    if (depth > YAML_MAX_DEPTH + 1)
        FUZZ_FAIL("a tree %d collections deep (the bound is %d)", depth, YAML_MAX_DEPTH);
    if (n->kind == YAML_NULL)   /* an empty document's root has no line */
        return;
    if (n->line < 1)
        FUZZ_FAIL("a node at line %ld", n->line);
    switch (n->kind) {
    case YAML_NULL:
        return;
    case YAML_SCALAR:
        if (!n->text)
            FUZZ_FAIL("a scalar without text (line %ld)", n->line);
        return;
    case YAML_SEQ:
    case YAML_MAP:
        if (n->n > n->cap || (n->n && !n->items))
            FUZZ_FAIL("a collection of %zu items in room for %zu (line %ld)", n->n, n->cap,
                      n->line);
        for (size_t i = 0; i < n->n; i++) {
            if (n->kind == YAML_MAP && (n->keys[i].kind != YAML_SCALAR || !n->keys[i].text))
                FUZZ_FAIL("a map key that is not a scalar (line %ld)", n->keys[i].line);
            walk(&n->items[i], depth + 1);
        }
        return;
    }
    FUZZ_FAIL("a node of kind %d", (int)n->kind);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_write(path, data, size);
    yaml_node root;
    yerr err;
    if (yaml_load(&root, path, &err) < 0) {
        if (!err.msg[0])
            FUZZ_FAIL("yaml_load failed without a message");
        return 0;
    }
    walk(&root, 0);
    yaml_free(&root);
    return 0;
}
