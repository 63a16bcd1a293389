/* guard.c — enforces the per-call instruction budget and timeout (a Redis-style count hook) and the
 * state's memory cap (a custom allocator). A tripped limit raises a Lua error the host reports.
 *
 * A count hook makes Lua 5.4 trap on every instruction (luaG_traceexec), whatever its count: about
 * a tenth of a short policy call. Most calls end within microseconds, so the hook is armed only for
 * calls that run long. A watchdog thread looks at every guard each millisecond; a call it finds
 * running at two looks in a row (it has run 1-2 ms) gets a signal on its own thread, whose handler
 * installs the hook there (lua_sethook is async-signal-safe: lua.c arms its SIGINT stop the same
 * way). From then on the call is counted and timed as before. Budgets under BL_GUARD_EAGER are
 * armed from the first instruction, so that small budgets are exact. Coroutines a policy makes are
 * hooked from their start (they run on their own Lua threads, which the signal does not reach). */
#include "guard.h"

#include <errno.h>
#include <lauxlib.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define HOOK_STEP 10000 /* instructions between two checks: cheap, and fine-grained enough */
#define TICK_NS 1000000 /* the watchdog's look: every millisecond */
#define IDLE_TICKS 100  /* looks without any call running before the watchdog sleeps */
#define KICK_SIGNAL SIGURG /* ignored by default: a late one can do no harm */

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
        /* Lua answers a refusal with an emergency collection and asks again: only a second refusal
         * in a row means the policies really hold that much */
        if (g->refused && atomic_load_explicit(&g->armed, memory_order_relaxed) && g->tripped == BL_TRIP_NONE)
            g->tripped = BL_TRIP_MEMORY;
        g->refused = 1;
        return NULL; /* Lua raises LUA_ERRMEM without allocating */
    }
    void *p = realloc(ptr, nsize);
    if (p != NULL) {
        g->used = g->used - osize + nsize;
        g->refused = 0;
    }
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
    if (ar->event == LUA_HOOKLINE) {
        if (g->line)
            g->line(L, ar);
        return;
    }
    if (!atomic_load_explicit(&g->armed, memory_order_relaxed))
        return;
    if (g->tripped == BL_TRIP_NONE && atomic_load_explicit(&g->expired, memory_order_relaxed)) {
        g->tripped = BL_TRIP_TIME; /* the watchdog saw the time limit pass (inside a long C call, maybe) */
        note_where(L, g);
    } else if (g->tripped == BL_TRIP_NONE) {
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
    }
    /* tripped: raise, and raise again at every check after, so that a policy (or its xpcall message
     * handler) cannot run on by catching the error */
    lua_pushliteral(L, "limit"); /* the host replaces it with a full message */
    lua_error(L);
}

static int eager(const bl_guard *g) { return g->lim.budget < BL_GUARD_EAGER || g->line; }

/* The events the guard's hook takes: counts, and lines when there is a line hook. */
static int hook_mask(const bl_guard *g) { return LUA_MASKCOUNT | (g->line ? LUA_MASKLINE : 0); }

/* The watchdog ---------------------------------------------------------------------------------- */

static pthread_mutex_t wd_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wd_wake = PTHREAD_COND_INITIALIZER;
static bl_guard **wd_guards; /* the guards to watch (under wd_mu) */
static int wd_n, wd_cap, wd_started;
static unsigned wd_gen;   /* a watchdog runs while this is the number it started with */
static pthread_t wd_thread;
static atomic_int wd_sleeping;
static bl_guard *_Atomic kick_target; /* the guard the watchdog signals (one at a time, under wd_mu) */

/* On the thread of a call the watchdog found running long: hook it, if it is still that call; once its
 * time has passed, at every instruction, so that it trips as soon as a long C call returns. */
static void on_kick(int sig)
{
    (void)sig;
    int saved = errno;
    bl_guard *g = atomic_load(&kick_target);
    if (g && atomic_load(&g->armed) && atomic_load(&g->gen) == atomic_load(&g->kick_gen) &&
        pthread_equal(g->thread, pthread_self())) {
        lua_Hook hook = g->hook ? g->hook : guard_hook;
        if (atomic_load(&g->expired))
            lua_sethook(g->co, hook, hook_mask(g), 1);
        else if (!g->hooked)
            lua_sethook(g->co, hook, hook_mask(g), g->step);
        atomic_store(&g->hooked, 1);
    }
    errno = saved;
}

static void (*stuck_fn)(const char *msg);

void bl_guard_on_stuck(void (*fn)(const char *msg)) { stuck_fn = fn; }

static void report_stuck(const bl_guard *g)
{
    char msg[600], who[300];
    const char *policy = atomic_load(&g->policy);
    if (policy)
        snprintf(who, sizeof who, "policy '%.200s'", policy);
    else
        snprintf(who, sizeof who, "%s", g->label[0] ? g->label : "a policy call");
    snprintf(msg, sizeof msg,
             "%s ran past its time limit of %d ms (%s) inside a library call (such as string.find "
             "with a pattern that backtracks, or string.rep on a huge text), where it cannot be stopped",
             who, g->lim.timeout_ms, g->option ? g->option : "--timeout-ms");
    if (stuck_fn)
        stuck_fn(msg);
    if (ftrylockfile(stdout) == 0) { /* what was printed so far, unless the stuck thread is printing */
        fflush(stdout);
        funlockfile(stdout);
    }
    fprintf(stderr, "bylaw: %s: stopping\n", msg);
    _exit(1);
}

/* Signals g's thread so that on_kick runs there, unless its call (gen) has ended meanwhile: end waits
 * while `kicking` is set, so the thread is still there to receive the signal. */
static void kick(bl_guard *g, unsigned gen)
{
    atomic_store(&g->kicking, 1);
    if (atomic_load(&g->armed) && atomic_load(&g->gen) == gen) {
        atomic_store(&g->kick_gen, gen);
        atomic_store(&kick_target, g);
        pthread_kill(g->thread, KICK_SIGNAL);
    }
    atomic_store(&g->kicking, 0);
}

/* One look at every guard; returns whether any call was running. Holds wd_mu. A call seen at two looks
 * in a row is hooked (counted and timed from then on); one past its time limit trips at its next
 * instruction; one still running BL_GUARD_GRACE_MS later is stuck in C (report_stuck). */
static int wd_look(void)
{
    int any = 0;
    uint64_t now = mono_ns();
    for (int i = 0; i < wd_n; i++) {
        bl_guard *g = wd_guards[i];
        if (!atomic_load(&g->armed))
            continue;
        any = 1;
        unsigned gen = atomic_load(&g->gen);
        if (gen != g->wd_seen) { /* a new call since the last look */
            g->wd_seen = gen;
            g->wd_seen_ns = now;
            g->wd_expired = g->wd_told = 0;
            continue;
        }
        uint64_t ran_ms = (now - g->wd_seen_ns) / 1000000u;
        if (!g->hooked) {
            kick(g, gen);
        } else if (!g->wd_expired && ran_ms >= (uint64_t)g->lim.timeout_ms) {
            g->wd_expired = 1;
            atomic_store(&g->expired, 1);
            kick(g, gen);
        } else if (g->wd_expired && !g->wd_told && ran_ms >= (uint64_t)g->lim.timeout_ms + BL_GUARD_GRACE_MS) {
            g->wd_told = 1;
            report_stuck(g);
        }
    }
    return any;
}

/* arg: the value of wd_gen when this watchdog was started (not read here: it may have moved on) */
static void *wd_main(void *arg)
{
    unsigned gen = (unsigned)(uintptr_t)arg;
    int idle = 0;
    pthread_mutex_lock(&wd_mu);
    while (gen == wd_gen) {
        if (wd_look()) {
            idle = 0;
        } else if (++idle >= IDLE_TICKS) {
            /* Sleep until a call begins. A call that began after the look above either is seen by
             * this second look, or sees wd_sleeping set and wakes us (both sides are seq_cst). */
            atomic_store(&wd_sleeping, 1);
            if (!wd_look()) {
                while (atomic_load(&wd_sleeping) && gen == wd_gen)
                    pthread_cond_wait(&wd_wake, &wd_mu);
            }
            atomic_store(&wd_sleeping, 0);
            idle = 0;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += TICK_NS;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&wd_wake, &wd_mu, &ts); /* woken early by a call beginning, or to stop */
    }
    pthread_mutex_unlock(&wd_mu);
    return NULL;
}

static void wd_register(bl_guard *g)
{
    pthread_mutex_lock(&wd_mu);
    if (!wd_started) {
        /* (A watchdog being stopped by wd_unregister sees wd_gen changed and leaves by itself.) */
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_kick;
        sa.sa_flags = SA_RESTART;
        sigemptyset(&sa.sa_mask);
        sigaction(KICK_SIGNAL, &sa, NULL);
        /* the watchdog must not take signals meant for a policy's thread */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        if (pthread_create(&wd_thread, NULL, wd_main, (void *)(uintptr_t)wd_gen) == 0)
            wd_started = 1;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    if (wd_n == wd_cap) {
        wd_cap = wd_cap ? 2 * wd_cap : 8;
        wd_guards = realloc(wd_guards, (size_t)wd_cap * sizeof *wd_guards);
    }
    wd_guards[wd_n++] = g;
    pthread_mutex_unlock(&wd_mu);
}

/* Takes g off the watch; the last one out stops the watchdog (a new guard starts another). */
static void wd_unregister(bl_guard *g)
{
    pthread_mutex_lock(&wd_mu);
    for (int i = 0; i < wd_n; i++)
        if (wd_guards[i] == g) {
            wd_guards[i] = wd_guards[--wd_n];
            break;
        }
    int stop = wd_n == 0 && wd_started;
    pthread_t t = wd_thread;
    if (stop) {
        wd_gen++;
        wd_started = 0;
        pthread_cond_broadcast(&wd_wake);
    }
    if (wd_n == 0) {
        free(wd_guards);
        wd_guards = NULL;
        wd_cap = 0;
    }
    pthread_mutex_unlock(&wd_mu);
    if (stop)
        pthread_join(t, NULL);
}

/* The API -------------------------------------------------------------------------------------- */

lua_State *bl_guard_newstate(bl_guard *g)
{
    g->used = 0;
    atomic_store(&g->armed, 0);
    g->tripped = BL_TRIP_NONE;
    atomic_store(&g->hooked, 0);
    g->co = NULL;
    lua_State *L = lua_newstate(guard_alloc, g);
    if (L == NULL)
        return NULL;
    *(bl_guard **)lua_getextraspace(L) = g; /* copied into every thread created later */
    wd_register(g);
    g->watched = 1;
    return L;
}

void bl_guard_watch(bl_guard *g)
{
    wd_register(g);
    g->watched = 1;
}

void bl_guard_close(bl_guard *g)
{
    if (g->watched)
        wd_unregister(g);
    g->watched = 0;
}

bl_guard *bl_guard_of(lua_State *L) { return *(bl_guard **)lua_getextraspace(L); }

void bl_guard_begin(bl_guard *g, lua_State *co)
{
    g->count = 0;
    atomic_store_explicit(&g->expired, 0, memory_order_relaxed);
    g->tripped = BL_TRIP_NONE;
    g->where[0] = '\0';
    /* The clock starts at the hook's first check, not here: that saves a clock read per call; the
     * limit is late by at most one hook step (HOOK_STEP instructions), or the watchdog's 1-2 ms. */
    g->deadline_ns = 0;
    g->step = g->lim.budget < HOOK_STEP ? (int)(g->lim.budget > 0 ? g->lim.budget : 1) : HOOK_STEP;
    if (g->hooked && !eager(g)) { /* armed in the policy call before (no end between two policies) */
        lua_sethook(g->co, NULL, 0, 0);
        atomic_store(&g->hooked, 0);
    }
    g->co = co;
    if (eager(g)) {
        if (lua_gethook(co) != guard_hook || lua_gethookcount(co) != g->step || lua_gethookmask(co) != hook_mask(g))
            lua_sethook(co, guard_hook, hook_mask(g), g->step);
        atomic_store(&g->hooked, 1);
    }
    g->thread = pthread_self();
    atomic_fetch_add(&g->gen, 1);
    atomic_store(&g->armed, 1);
    if (atomic_load(&wd_sleeping)) {
        pthread_mutex_lock(&wd_mu);
        atomic_store(&wd_sleeping, 0);
        pthread_cond_signal(&wd_wake);
        pthread_mutex_unlock(&wd_mu);
    }
}

void bl_guard_end(bl_guard *g)
{
    atomic_store(&g->armed, 0);
    while (atomic_load(&g->kicking)) /* the watchdog is signalling this thread: let it finish */
        ;
    if (g->hooked && !eager(g)) { /* the next call starts unhooked (no kick can land now: unarmed) */
        lua_sethook(g->co, NULL, 0, 0);
        atomic_store(&g->hooked, 0);
    }
}

int bl_guard_cocreate(lua_State *L)
{
    bl_guard *g = bl_guard_of(L);
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1)); /* coroutine.create or coroutine.wrap */
    lua_insert(L, 1);
    lua_call(L, n, 1);
    lua_State *co = lua_tothread(L, -1);
    if (co == NULL && lua_getupvalue(L, -1, 1) != NULL) { /* wrap: the thread is the function's upvalue */
        co = lua_tothread(L, -1);
        lua_pop(L, 1);
    }
    if (co != NULL)
        lua_sethook(co, guard_hook, hook_mask(g), g->step > 0 ? g->step : HOOK_STEP);
    return 1;
}

static int rethrow_k(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    (void)ctx;
    bl_guard *g = bl_guard_of(L);
    if (g->tripped != BL_TRIP_NONE && atomic_load(&g->armed)) {
        lua_pushliteral(L, "limit");
        return lua_error(L);
    }
    return lua_gettop(L);
}

int bl_guard_rethrow(lua_State *L)
{
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1)); /* pcall, xpcall or coroutine.resume */
    lua_insert(L, 1);
    lua_callk(L, n, LUA_MULTRET, 0, rethrow_k);
    return rethrow_k(L, LUA_OK, 0);
}

/* xpcall's message handler, guarded: Lua runs a message handler inside the hook that raised the
 * error, where hooks are off, so after a trip the user's handler must not run at all. */
static int guarded_msgh(lua_State *L)
{
    bl_guard *g = bl_guard_of(L);
    if (g->tripped != BL_TRIP_NONE)
        return 1; /* the error as it is */
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

int bl_guard_xpcall(lua_State *L)
{
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 2);
    lua_pushcclosure(L, guarded_msgh, 1);
    lua_replace(L, 2);
    return bl_guard_rethrow(L);
}

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
