/* guard.h — the limits every policy call runs under: an instruction budget (count hook), a wall-clock
 * timeout checked from the same hook, and a memory cap enforced by the Lua state's allocator. */
#ifndef BL_GUARD_H
#define BL_GUARD_H

#include <lua.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

typedef struct bl_limits {
    long long budget;    /* Lua VM instructions per policy call */
    int timeout_ms;      /* wall-clock time per policy call */
    size_t memory;       /* bytes for the whole Lua state */
    int test_timeout_ms; /* wall-clock time per test of a *_test.lua file (its policy calls have their own) */
} bl_limits;

#define BL_LIMITS_DEFAULT ((bl_limits){10000000LL, 250, (size_t)32 << 20, 10000})

enum { BL_TRIP_NONE, BL_TRIP_BUDGET, BL_TRIP_TIME, BL_TRIP_MEMORY };

/* Budgets below this are counted from a call's first instruction; larger ones from the moment the
 * watchdog finds the call still running, 1-2 ms after it began (guard.c says why). */
#define BL_GUARD_EAGER 1000000LL

typedef struct bl_guard {
    bl_limits lim;
    size_t used;          /* bytes the state holds now */
    int refused;          /* the allocator's last answer was a refusal (over the cap) */
    atomic_int armed;     /* a policy call is running: budget and time apply */
    long long count;      /* instructions counted in this call */
    int step;             /* instructions between two hook calls */
    uint64_t deadline_ns; /* monotonic */
    int tripped;          /* BL_TRIP_*: why the last call was stopped */
    char where[256];      /* "file:line" of the instruction that tripped, if known */
    /* the watchdog's side (guard.c) */
    lua_State *co;         /* the thread the call runs on */
    pthread_t thread;      /* the OS thread it runs on */
    atomic_uint gen;       /* counts calls */
    atomic_uint kick_gen;  /* the call the watchdog signalled */
    atomic_int kicking;    /* the watchdog is signalling this guard's thread */
    atomic_int hooked;     /* the count hook is on co */
    unsigned wd_seen;      /* the call the watchdog saw at its last look */
    uint64_t wd_seen_ns;   /* when it first saw that call */
    int wd_expired, wd_told; /* it made that call trip at its next instruction; it reported it stuck */
    atomic_int expired;    /* the call passed its time limit: the hook trips it at once */
    int watched;
    lua_Hook hook;         /* the count hook (NULL: the guard's own; the test runner has one of its own) */
    lua_Hook line;         /* a line hook for every call (the coverage of `bylaw test`), or NULL: the budget
                            * is then counted from the first instruction, as for small budgets */
    const char *option;    /* the option that sets its time limit (NULL: "--timeout-ms") */
    _Atomic(const char *) policy; /* the policy whose call runs (a string its set holds), or NULL... */
    char label[128];       /* ...and then what runs, for people: "loading policies/x.lua" */
} bl_guard;

/* Creates a Lua state whose allocator and hook use g (which must outlive the state), and puts g
 * under the watchdog; bl_guard_close takes it off (before g is freed, after lua_close). */
lua_State *bl_guard_newstate(bl_guard *g);
void bl_guard_close(bl_guard *g);
/* Puts a guard with a hook of its own (g->hook) under the watchdog, for calls timed by wall clock only
 * (the test runner's tests); bl_guard_close takes it off. */
void bl_guard_watch(bl_guard *g);
bl_guard *bl_guard_of(lua_State *L);

/* coroutine.create / coroutine.wrap for policies (upvalue 1: the original): the new coroutine is
 * counted by the hook from its first instruction. */
int bl_guard_cocreate(lua_State *L);
/* pcall, xpcall and coroutine.resume for policies (upvalue 1: the original): once a limit has
 * tripped in the call, the error goes on up instead of being caught. */
int bl_guard_rethrow(lua_State *L);
/* xpcall, the same, whose message handler does not run after a trip (it would run with hooks off). */
int bl_guard_xpcall(lua_State *L);

/* Arms the budget and timeout for one call running on thread co; bl_guard_end disarms. */
void bl_guard_begin(bl_guard *g, lua_State *co);
void bl_guard_end(bl_guard *g);

/* A call still running BL_GUARD_GRACE_MS after its time limit is stuck inside a C function (a pattern
 * match, a huge string operation), where no hook can stop it. The watchdog then calls fn with a message
 * naming the call (its label) and the limit, from its own thread; fn must end the process (_exit): the
 * call cannot be stopped any other way. Without fn, the message goes to stderr and the process exits
 * with status 1. Process-wide. */
#define BL_GUARD_GRACE_MS 200 /* (a hooked call stops at its next instruction: a long C call of an honest
                              * policy, a big table.concat, is well under this; the promise to users is
                              * the limit plus 1 s, process start included) */
void bl_guard_on_stuck(void (*fn)(const char *msg));

/* Plain-language description of the trip for policy `who`, e.g.
 * "policy 'spin' ran past its budget of 10000000 instructions". */
const char *bl_guard_describe(const bl_guard *g, const char *who, char *buf, size_t n);

#endif
