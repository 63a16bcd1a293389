/* log.c — the `log` module and the `bylaw` table: a policy's log lines on stderr, tagged with the
 * policy and its line, and the engine clock. */
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>

#include "host.h"

/* The default sink: one line on stderr, control characters escaped so that a message cannot forge
 * a line of its own. */
static void stderr_sink(void *ud, const char *level, const char *policy, const char *where, const char *msg,
                        size_t len)
{
    bl_buf b = {0};
    bl_buf_printf(&b, "%s policy=%s at=%s: ", level, policy ? policy : "-", where);
    bl_log_escape(&b, msg, len);
    bl_buf_add(&b, "\n", 1);
    fwrite(b.data, 1, b.len, stderr);
    bl_buf_free(&b);
}

static bl_log_sink sink = stderr_sink;
static void *sink_ud;

void bl_log_set_sink(bl_log_sink fn, void *ud)
{
    sink = fn ? fn : stderr_sink;
    sink_ud = ud;
}

void bl_log_get_sink(bl_log_sink *fn, void **ud)
{
    *fn = sink;
    *ud = sink_ud;
}

void bl_log_escape(bl_buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n')
            bl_buf_add(b, "\\n", 2);
        else if (c == '\r')
            bl_buf_add(b, "\\r", 2);
        else if (c == '\t')
            bl_buf_add(b, "\\t", 2);
        else if (c < 0x20 || c == 0x7f)
            bl_buf_printf(b, "\\x%02x", c);
        else
            bl_buf_add(b, (const char *)&s[i], 1);
    }
}

static int log_line(lua_State *L, const char *level)
{
    lua_Debug ar;
    char where[300] = "?";
    if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar) && ar.currentline > 0)
        snprintf(where, sizeof where, "%s:%d", ar.short_src, ar.currentline);
    const char *policy = bl_host_policy_now(bl_host_of(L));
    int n = lua_gettop(L); /* before luaL_buffinit, which may push a slot of its own */
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        if (i > 1)
            luaL_addchar(&b, ' ');
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    size_t len;
    const char *msg = lua_tolstring(L, -1, &len);
    sink(sink_ud, level, policy, where, msg, len > 4096 ? 4096 : len); /* a line, not a dump */
    return 0;
}

static int log_info(lua_State *L) { return log_line(L, "info"); }
int bl_lua_print(lua_State *L) { return log_line(L, "print"); } /* the sandbox's print */
static int log_warn(lua_State *L) { return log_line(L, "warn"); }

int luaopen_bylaw_log(lua_State *L)
{
    static const luaL_Reg fns[] = {{"info", log_info}, {"warn", log_warn}, {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}

static int core_now(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)(bl_clock_now_ms() / 1000));
    return 1;
}

int luaopen_bylaw_core(lua_State *L)
{
    static const luaL_Reg fns[] = {{"now", core_now}, {NULL, NULL}};
    luaL_newlib(L, fns);
    lua_pushliteral(L, BL_VERSION);
    lua_setfield(L, -2, "version");
    return 1;
}
