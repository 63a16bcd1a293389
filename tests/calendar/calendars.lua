-- calendars.lua — what tests/calendar/calendar_test.lua counts in: China's 2026 schedule as "default"
-- (a copy of policies/calendar.lua, so that these tests stay as they are when that file gets 2027's
-- dates), the same with an explicit coverage end, and one without holidays; two policies that try to
-- change a calendar while they run. And, at the bottom, what can only be tested while the files load:
-- errors of `calendar { ... }`, and that it reads the table raw and leaks nothing when it fails.
local HOLIDAYS = {
  "2026-01-01..2026-01-03", "2026-02-15..2026-02-23", "2026-04-04..2026-04-06", "2026-05-01..2026-05-05",
  "2026-06-19..2026-06-21", "2026-09-25..2026-09-27", "2026-10-01..2026-10-07",
}
local WORKDAYS = { "2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10" }

calendar {
  name = "default", zone = "Asia/Shanghai", hours = { "09:00", "18:00" }, weekend = { "saturday", "sunday" },
  holidays = HOLIDAYS, workdays = WORKDAYS,
}
calendar { name = "through2027", holidays = HOLIDAYS, workdays = WORKDAYS, covers_until = "2027-12-31" }
calendar { name = "plain", lunch = { "12:00", "13:00" } }

policy {
  name = "redefine", type = "redefine",
  decide = function(r, d)
    calendar { name = "default", holidays = {} }
  end,
}

policy {
  name = "redefine_later", type = "redefine_later",
  decide = function(r, d) d:deadline("later", { after = "1 hour" }) end,
  timers = {
    later = function(r, d, t) calendar.define { name = "sneaky" } end,
  },
}

-- Errors while loading: file:line, the calendar, the key and what is wrong.
local function expect_error(spec, fragment)
  local ok, err = pcall(calendar.define, spec)
  assert(not ok, "defined: " .. tostring(spec.name))
  assert(tostring(err):find(fragment, 1, true), "error '" .. tostring(err) .. "' lacks '" .. fragment .. "'")
end
expect_error({ name = "default" },
  "calendars.lua:12 (give one of them another name)")
expect_error({ name = "bad", holidays = { "2026-02-30" } },
  "calendars.lua:36: calendar 'bad': holidays[1]: cannot read date '2026-02-30'")
expect_error({ name = "bad", workdays = { "2026-10-10", 20261011 } },
  "calendar 'bad': workdays[2]: expected a date such as '2026-10-01' or '2026-10-01..2026-10-07', got number")
expect_error({ name = "bad", holday = {} }, "calendar 'bad': unknown key 'holday'")
expect_error({ name = "bad", "2026-10-01" }, "calendar 'bad': unknown key (a number)")
expect_error({ name = "bad", zone = "Europe/London" }, "calendar 'bad': zone: unknown time zone 'Europe/London'")
expect_error({ name = "bad", hours = "09:00-18:00" }, "calendar 'bad': hours: expected a table such as")
expect_error({ name = "bad", lunch = { "08:00", "09:30" } }, "calendar 'bad': lunch: break '08:00'-'09:30'")
expect_error({ name = "bad", weekend = { "sat" } }, "calendar 'bad': weekend[1]: 'sat' is not a weekday name")
expect_error({ name = "bad", covers_until = "2027-12-32" }, "calendar 'bad': covers_until: cannot read the coverage end")
expect_error({ name = 7 }, "name must be a string, got number")

-- The table is read raw: none of its metamethods runs inside calendar { ... } (issue 11: an error
-- thrown from __len while the table was read leaked the half-made calendar).
local ran = {}
local trap = { __len = function() ran[#ran + 1] = "__len"; error("x") end,
               __index = function(_, k) ran[#ran + 1] = "__index " .. tostring(k) end }
assert(pcall(calendar.define, setmetatable({ name = "raw", workdays = setmetatable({}, trap) }, trap)))
assert(#ran == 0, "a metamethod ran: " .. table.concat(ran, ", "))
-- Failing definitions, again and again, at every stage: each half-made calendar is collected (the
-- ASan run of these tests reports any leak).
for i = 1, 300 do
  local specs = {
    { name = "leak", holidays = { "2026-10-01", "2026-02-30" } },
    { name = "leak", zone = "Mars/Olympus" },
    { name = "leak", zone = {} },
    { name = "leak", holidays = HOLIDAYS, weekend = { "caturday" } },
    { name = "leak", holidays = HOLIDAYS, workdays = WORKDAYS, covers_until = false },
  }
  assert(not pcall(calendar.define, specs[i % #specs + 1]))
end
