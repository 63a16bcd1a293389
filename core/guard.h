/* guard.h — the limits every policy call runs under: an instruction budget (count hook), a wall-clock
 * timeout checked from the same hook, and a memory cap enforced by the Lua state's allocator. */
#ifndef BL_GUARD_H
#define BL_GUARD_H

#include <lua.h>
#include <stddef.h>
#include <stdint.h>

typedef struct bl_limits {
    long long budget; /* Lua VM instructions per policy call */
    int timeout_ms;   /* wall-clock time per policy call */
    size_t memory;    /* bytes for the whole Lua state */
} bl_limits;

#define BL_LIMITS_DEFAULT ((bl_limits){10000000LL, 250, (size_t)32 << 20})

enum { BL_TRIP_NONE, BL_TRIP_BUDGET, BL_TRIP_TIME, BL_TRIP_MEMORY };

typedef struct bl_guard {
    bl_limits lim;
    size_t used;          /* bytes the state holds now */
    int armed;            /* a policy call is running: budget and time apply */
    long long count;      /* instructions counted in this call */
    int step;             /* instructions between two hook calls */
    uint64_t deadline_ns; /* monotonic */
    int tripped;          /* BL_TRIP_*: why the last call was stopped */
    char where[256];      /* "file:line" of the instruction that tripped, if known */
} bl_guard;

/* Creates a Lua state whose allocator and hook use g (which must outlive the state). */
lua_State *bl_guard_newstate(bl_guard *g);
bl_guard *bl_guard_of(lua_State *L);

/* Arms the budget and timeout for one call running on thread co; bl_guard_end disarms. */
void bl_guard_begin(bl_guard *g, lua_State *co);
void bl_guard_end(bl_guard *g);

/* Plain-language description of the trip for policy `who`, e.g.
 * "policy 'spin' ran past its budget of 10000000 instructions". */
const char *bl_guard_describe(const bl_guard *g, const char *who, char *buf, size_t n);

#endif
