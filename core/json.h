/* json.h — JSON text in and out for the C side: parsing on cJSON (Debian libcjson), with errors that
 * give the byte offset, limits on depth and on numbers too large to keep exactly, and refusals of
 * what cJSON would keep wrongly (invalid UTF-8, NUL, lone surrogates, keys given twice); trees
 * printed with cJSON; and a small writer that appends JSON text to a buffer without building a tree. */
#ifndef BL_JSON_H
#define BL_JSON_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <string.h>

#include "common.h"

#define BL_JSON_MAX_DEPTH 64          /* objects/arrays nested deeper than this are refused */
#define BL_JSON_MAX_NODES 1000000     /* values a Lua value may turn into (bl_lua_tojson) */
#define BL_JSON_MAX_TEXT (16 << 20)   /* bytes of JSON text one Lua value may write (bl_lua_put) */

/* Parses n bytes of JSON text. On error returns NULL and writes to err a message such as
 * "invalid JSON at byte 17 (near '}')" or "JSON nested deeper than 64 levels". Also refused, each
 * with the byte offset: invalid UTF-8 (overlong forms, encoded surrogates, bytes from 0xF5, cut
 * sequences), a NUL byte, a \u0000 escape, a lone surrogate escape (\uD800 without \uDC00..\uDFFF
 * after it, or the second half alone), and a key given twice in one object
 * ("duplicate key \"a\" at byte 9", decoded keys compared). */
cJSON *bl_json_parse(const char *s, size_t n, char *err, size_t errlen);

/* Whether n bytes at s are valid UTF-8 (as bl_json_parse takes it); if not, *bad (may be NULL) is the
 * offset of the first byte that is not. */
int bl_utf8_valid(const char *s, size_t n, size_t *bad);

/* Installs the allocation hooks bl_json_parse_scratch needs (once, before any thread uses cJSON). */
void bl_json_init(void);
/* bl_json_parse, with the tree in this thread's scratch block. The tree and everything else parsed
 * into the block since the last bl_json_scratch_reset (on this thread) must be deleted, or no longer
 * used, before the next reset. Without bl_json_init first, an ordinary bl_json_parse. */
cJSON *bl_json_parse_scratch(const char *s, size_t n, char *err, size_t errlen);
void bl_json_scratch_reset(void);
void bl_json_scratch_free(void); /* gives this thread's block back (a thread ends) */

/* A block of the caller's that trees are parsed into as into the scratch block, so that a tree parsed
 * on one thread can be used and dropped on another (bylaw import). Between enter and leave (on one
 * thread, not nested) whatever cJSON allocates comes from the block: what is added to such a tree can
 * come from a block of the thread that adds it. When a block is full, nodes are malloc'd (spilled):
 * drop a tree with bl_json_delete_blocks, given the blocks its nodes may come from (nothing to do
 * unless one spilled); reset a block (next = base, spilled = 0) or free it once no tree of it is used. */
typedef struct bl_json_block {
    char *base, *next, *end;
    int spilled;
} bl_json_block;
void bl_json_block_init(bl_json_block *b, size_t size);
void bl_json_block_free(bl_json_block *b);
void bl_json_block_enter(bl_json_block *b);
void bl_json_block_leave(bl_json_block *b);
cJSON *bl_json_parse_block(bl_json_block *b, const char *s, size_t n, char *err, size_t errlen);
void bl_json_delete_blocks(bl_json_block *a, bl_json_block *b, cJSON *tree);

/* Appends the compact JSON text of j to out. */
void bl_json_print(const cJSON *j, bl_buf *out);
/* The compact JSON text of j (malloc'd; free with free()). */
char *bl_json_dump(const cJSON *j);

/* The writer: each call appends to b (NUL-terminated after it); the caller writes the punctuation
 * between values. */
void bl_json_put_str(bl_buf *b, const char *s, size_t n); /* a string, quoted and escaped */
void bl_json_put_int(bl_buf *b, long long v);
/* Integral values below 2^53 as integers, others in the shortest form that reads back the same
 * (a NaN or an infinity as null, as cJSON writes them). */
void bl_json_put_num(bl_buf *b, double d);
void bl_json_put_value(bl_buf *b, const cJSON *j); /* j and everything under it */
#define BL_JSON_LIT(b, lit) bl_json_put((b), (lit), sizeof(lit) - 1)

/* n bytes as they are (inline: an answer is written in some twenty pieces, most of them literals) */
static inline void bl_json_put(bl_buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap)
        bl_buf_reserve(b, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

/* Small accessors: NULL / default when absent or of another type. */
const char *bl_json_str(const cJSON *obj, const char *key);
double bl_json_num(const cJSON *obj, const char *key, double dflt);
/* Adds key: value; value may be NULL (then JSON null). Returns value. */
cJSON *bl_json_add(cJSON *obj, const char *key, cJSON *value);
cJSON *bl_json_add_str(cJSON *obj, const char *key, const char *s); /* NULL s: null */
cJSON *bl_json_add_num(cJSON *obj, const char *key, double n);

#endif
