/* guard.c — enforces the per-call instruction budget and timeout (a Redis-style count hook) and the
 * state's memory cap (a custom allocator). A tripped limit raises a Lua error the host reports. */
#include "guard.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HOOK_STEP 10000 /* instructions between two checks: cheap, and fine-grained enough */

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts); /* a few ms of resolution is plenty for a 250 ms limit, and cheaper */
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *guard_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    bl_guard *g = ud;
    if (ptr == NULL)
        osize = 0; /* osize is then a type tag, not a size */
    if (nsize == 0) {
        free(ptr);
        g->used -= osize;
        return NULL;
    }
    if (nsize > osize && g->used + (nsize - osize) > g->lim.memory) {
        if (g->armed && g->tripped == BL_TRIP_NONE)
            g->tripped = BL_TRIP_MEMORY;
        return NULL; /* Lua raises LUA_ERRMEM without allocating */
    }
    void *p = realloc(ptr, nsize);
    if (p != NULL)
        g->used = g->used - osize + nsize;
    return p;
}

/* Where the running Lua code is: the innermost frame with a source line. */
static void note_where(lua_State *L, bl_guard *g)
{
    lua_Debug ar;
    for (int level = 0; lua_getstack(L, level, &ar); level++) {
        if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
            snprintf(g->where, sizeof g->where, "%s:%d", ar.short_src, ar.currentline);
            return;
        }
    }
    g->where[0] = '\0';
}

static void guard_hook(lua_State *L, lua_Debug *ar)
{
    bl_guard *g = bl_guard_of(L);
    if (!g->armed || g->tripped != BL_TRIP_NONE)
        return;
    g->count += g->step;
    uint64_t now = mono_ns();
    if (g->deadline_ns == 0) /* the first check of this call: the clock starts here (see begin) */
        g->deadline_ns = now + (uint64_t)g->lim.timeout_ms * 1000000u;
    if (g->count > g->lim.budget)
        g->tripped = BL_TRIP_BUDGET;
    else if (now > g->deadline_ns)
        g->tripped = BL_TRIP_TIME;
    else
        return;
    note_where(L, g);
    lua_pushliteral(L, "limit"); /* the host replaces it with a full message */
    lua_error(L);
}

lua_State *bl_guard_newstate(bl_guard *g)
{
    g->used = 0;
    g->armed = 0;
    g->tripped = BL_TRIP_NONE;
    lua_State *L = lua_newstate(guard_alloc, g);
    if (L == NULL)
        return NULL;
    *(bl_guard **)lua_getextraspace(L) = g; /* copied into every thread created later */
    return L;
}

bl_guard *bl_guard_of(lua_State *L) { return *(bl_guard **)lua_getextraspace(L); }

void bl_guard_begin(bl_guard *g, lua_State *co)
{
    g->count = 0;
    g->tripped = BL_TRIP_NONE;
    g->where[0] = '\0';
    /* Most calls end before the hook first runs: reading the clock then, not here, saves a clock
     * read per call; the limit is late by at most one hook step (HOOK_STEP instructions). */
    g->deadline_ns = 0;
    g->armed = 1;
    g->step = g->lim.budget < HOOK_STEP ? (int)(g->lim.budget > 0 ? g->lim.budget : 1) : HOOK_STEP;
    if (lua_gethook(co) != guard_hook || lua_gethookcount(co) != g->step)
        lua_sethook(co, guard_hook, LUA_MASKCOUNT, g->step);
}

void bl_guard_end(bl_guard *g) { g->armed = 0; }

const char *bl_guard_describe(const bl_guard *g, const char *who, char *buf, size_t n)
{
    switch (g->tripped) {
    case BL_TRIP_BUDGET:
        snprintf(buf, n, "policy '%s' ran past its budget of %lld instructions (--budget)", who, g->lim.budget);
        break;
    case BL_TRIP_TIME:
        snprintf(buf, n, "policy '%s' ran past its time limit of %d ms (--timeout-ms)", who, g->lim.timeout_ms);
        break;
    case BL_TRIP_MEMORY:
        snprintf(buf, n, "policy '%s' ran out of memory: the policy set may use %zu MiB (--memory-mb)", who,
                 g->lim.memory >> 20);
        break;
    default:
        snprintf(buf, n, "policy '%s' was stopped", who);
    }
    return buf;
}
