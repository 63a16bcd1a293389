/* lcalendar.h — the calendars a policy set declared, for the C side (clock moves in tests and the
 * service) and for the runtime's deadlines. */
#ifndef BL_LCALENDAR_H
#define BL_LCALENDAR_H

#include <lua.h>

#include "calendar.h"

/* The calendar named name (NULL: "default", made with the built-in defaults if none was declared),
 * or NULL if there is none of that name. Owned by the Lua state. */
bl_cal_t *bl_calendar_get(lua_State *L, const char *name);
int luaopen_bylaw_calendar(lua_State *L);

#endif
