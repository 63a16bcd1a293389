/* lcalendar.h — the calendars a policy set declared, for the C side (clock moves in tests and the
 * service) and for the runtime's deadlines. */
#ifndef BL_LCALENDAR_H
#define BL_LCALENDAR_H

#include <lua.h>

#include "calendar.h"

/* The calendar named name (NULL: "default", made with the built-in defaults if none was declared),
 * or NULL if there is none of that name. Owned by the Lua state. */
bl_cal_t *bl_calendar_get(lua_State *L, const char *name);

/* A calendar the policy files declared. The strings and the calendar are owned by the Lua state. */
typedef struct bl_calendar_decl {
    const char *name;
    const char *where; /* where `calendar { ... }` was called: "policies/calendar.lua:7" */
    const bl_cal_t *cal;
} bl_calendar_decl;
/* The declared calendars, sorted by name, into out: the first max of them by name; returns how many
 * there are (out may be NULL when max is 0). The built-in default is not one. */
int bl_calendar_list(lua_State *L, bl_calendar_decl *out, int max);
int luaopen_bylaw_calendar(lua_State *L);

#endif
