#include <string.h>

#include "yolo/records/mp.h"

int mp_str_eq(const msgpack_object_str *s, const char *key, size_t n)
{
    return s->size == n && (n == 0 || memcmp(s->ptr, key, n) == 0);
}

const char *mp_object_type_name(const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL: return "nil";
    case MSGPACK_OBJECT_BOOLEAN: return "bool";
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return "int";
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64: return "float";
    case MSGPACK_OBJECT_STR: return "string";
    case MSGPACK_OBJECT_ARRAY: return "array";
    case MSGPACK_OBJECT_MAP: return "map";
    case MSGPACK_OBJECT_BIN: return "bin";
    case MSGPACK_OBJECT_EXT: return "ext";
    }
    return "unknown";
}

int mp_as_i64(const msgpack_object *o, int64_t *v)
{
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        *v = o->via.i64;
        return 0;
    }
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 <= (uint64_t)INT64_MAX) {
        *v = (int64_t)o->via.u64;
        return 0;
    }
    return -1;
}

int mp_as_f64(const msgpack_object *o, double *v)
{
    switch (o->type) {
    case MSGPACK_OBJECT_POSITIVE_INTEGER: *v = (double)o->via.u64; return 0;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: *v = (double)o->via.i64; return 0;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64: *v = o->via.f64; return 0;
    default: return -1;
    }
}

int mp_as_bool(const msgpack_object *o, int *v)
{
    if (o->type != MSGPACK_OBJECT_BOOLEAN)
        return -1;
    *v = o->via.boolean;
    return 0;
}

int mp_as_str(const msgpack_object *o, const char **s, size_t *len)
{
    if (o->type != MSGPACK_OBJECT_STR)
        return -1;
    *s = o->via.str.size ? o->via.str.ptr : "";
    *len = o->via.str.size;
    return 0;
}

const msgpack_object *mp_map_get(const msgpack_object *map, const char *key)
{
    if (map->type != MSGPACK_OBJECT_MAP)
        return NULL;
    size_t kl = strlen(key);
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object *k = &map->via.map.ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && mp_str_eq(&k->via.str, key, kl))
            return &map->via.map.ptr[i].val;
    }
    return NULL;
}

int mp_pack_key(msgpack_packer *pk, const char *key)
{
    return msgpack_pack_str_with_body(pk, key, strlen(key));
}
