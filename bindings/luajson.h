/* luajson.h — JSON values between cJSON and Lua, and the `json` module policies see. */
#ifndef BL_LUAJSON_H
#define BL_LUAJSON_H

#include <lua.h>

#include "json.h"

/* The sentinel standing for JSON null (and for "field removed" in proposals). */
void bl_lua_pushnull(lua_State *L);
int bl_lua_isnull(lua_State *L, int idx);

/* Pushes v as a Lua value: objects and arrays become tables, integral numbers integers; null becomes
 * nil when null_as_nil (array elements stay the null sentinel, to keep the length), else the
 * sentinel. Allocates: call in protected mode. */
void bl_lua_pushjson(lua_State *L, const cJSON *v, int null_as_nil);

/* The Lua value at idx as a new cJSON value, or NULL with a message in err ("cannot encode a
 * function"). Tables with keys 1..n are arrays, other tables objects, empty tables objects. */
cJSON *bl_lua_tojson(lua_State *L, int idx, char *err, size_t errlen);

/* Appends the Lua value at idx to b as JSON text, as bl_lua_tojson would make it. Returns 0, or -1
 * with a message in err (what was appended so far is then incomplete: discard it). */
int bl_lua_put(lua_State *L, int idx, bl_buf *b, char *err, size_t errlen);

int luaopen_bylaw_json(lua_State *L);

#endif
