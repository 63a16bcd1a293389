-- calendar_test.lua — the calendar module as policies use it: provisional results past the coverage
-- end, covers_until and info, days that end at their close, the span note of explanations, and no
-- calendar changes after the files load. Counts in tests/calendar/calendars.lua (the 2026 schedule).
local P = calendar.parse

test("add: a second value says whether the result is provisional", function()
  local cases = {
    -- from, duration, due, provisional
    { "2026-12-31T17:55:00+08:00", "1 working day", "2027-01-01T18:00:00+08:00", true }, -- New Year's Day?
    { "2026-12-31T18:00:00+08:00", "1 working day", "2027-01-01T18:00:00+08:00", true },
    { "2026-12-31T08:00:00+08:00", "1 working day", "2026-12-31T18:00:00+08:00", false },
    { "2026-12-30T17:55:00+08:00", "2 working days", "2027-01-01T18:00:00+08:00", true },
    { "2026-12-30T08:00:00+08:00", "2 working days", "2026-12-31T18:00:00+08:00", false },
    { "2026-12-31T17:00:00+08:00", "1 working hour", "2026-12-31T18:00:00+08:00", false },
    { "2026-12-31T17:00:00+08:00", "2 working hours", "2027-01-01T10:00:00+08:00", true },
    { "2027-01-04T12:00:00+08:00", "-1 working day", "2027-01-01T09:00:00+08:00", true },
    { "2026-12-31T17:55:00+08:00", "24 hours", "2027-01-01T17:55:00+08:00", false },
    { "2026-12-31T17:55:00+08:00", "30 days", "2027-01-30T17:55:00+08:00", false },
    { "2026-09-30T17:55:00+08:00", "2 working days", "2026-10-09T18:00:00+08:00", false },
  }
  for _, c in ipairs(cases) do
    local t, provisional = calendar.add(c[1], c[2])
    eq(calendar.format(t), c[3], c[1] .. " + " .. c[2])
    eq(provisional, c[4], c[1] .. " + " .. c[2] .. " provisional")
  end
  eq(select("#", calendar.add(P("2026-10-08"), "1 day")), 2)
end)

test("the other counts say so too", function()
  local t, provisional = calendar.nth_workday(2027, 1, 1) -- January of a year without a schedule
  eq(calendar.format(t), "2027-01-01T18:00:00+08:00")
  eq(provisional, true)
  t, provisional = calendar.nth_workday(2026, 12, -1)
  eq({ calendar.format(t), provisional }, { "2026-12-31T18:00:00+08:00", false })
  eq({ calendar.nth_workday(2027, 2, 25) }, { nil, true })
  eq({ calendar.nth_workday(2026, 2, 25) }, { nil, false })
  eq({ calendar.next_workday("2026-12-31T10:00:00+08:00") }, { P("2027-01-01T09:00:00+08:00"), true })
  eq({ calendar.next_workday("2026-12-30T10:00:00+08:00") }, { P("2026-12-31T09:00:00+08:00"), false })
  eq({ calendar.workdays_between("2026-12-31T17:55:00+08:00", "2027-01-01T10:00:00+08:00") }, { 1, true })
  eq({ calendar.workdays_between("2026-12-30T10:00:00+08:00", "2026-12-31T17:00:00+08:00") }, { 1, false })
  eq({ calendar.is_workday("2027-01-01") }, { true, true })
  eq({ calendar.is_workday("2026-10-01") }, { false, false })
end)

test("covers_until: the end of the last covered day, an explicit end, or nil", function()
  eq(calendar.covers_until(), P("2027-01-01T00:00:00+08:00"))
  eq(calendar.format(calendar.covers_until()), "2027-01-01T00:00:00+08:00") -- 24:00 on 31 Dec
  eq(calendar.covers_until("through2027"), P("2028-01-01"))
  eq({ calendar.add("2026-12-31T17:55:00+08:00", "1 working day", "through2027") },
    { P("2027-01-01T18:00:00+08:00"), false })
  eq(calendar.covers_until("plain"), nil) -- no holidays: a Monday-Friday calendar, never provisional
  eq({ calendar.add("2030-12-31T17:55:00+08:00", "1 working day", "plain") }, { P("2031-01-01T18:00:00+08:00"), false })
  fails(function() calendar.covers_until("nope") end, "no calendar named 'nope'")
end)

test("info: what a calendar is, read-only", function()
  local i = calendar.info()
  eq(i.name, "default")
  eq(i.zone, "Asia/Shanghai")
  eq({ i.open, i.close, i.lunch, i.weekend }, { "09:00", "18:00", nil, "saturday, sunday" })
  eq({ i.holidays, i.workdays }, { 33, 6 })
  eq(i.covers_until, P("2027-01-01T00:00:00+08:00"))
  eq(i.covered_through, "2026-12-31")
  contains(i.defined_at, "tests/calendar/calendars.lua:")
  fails(function() i.zone = "UTC" end, "read-only")
  local plain = calendar.info("plain")
  eq({ plain.lunch, plain.covers_until, plain.covered_through }, { "12:00-13:00", nil, nil })
  eq(calendar.info("through2027").covered_through, "2027-12-31")
end)

test("a day ends at its end, 24:00, which prints as the next day's 00:00", function()
  eq(calendar.format(calendar.end_of_day("2026-10-15T10:00:00+08:00")), "2026-10-16T00:00:00+08:00")
  eq(calendar.end_of_day("2026-10-15T23:59:59+08:00"), P("2026-10-16"))
  eq(calendar.date("2026-10-15T23:59:59+08:00"), "2026-10-15")
  eq(calendar.date("2026-10-15T17:00:00Z"), "2026-10-16") -- 01:00 in Beijing
  eq(calendar.weekday("2026-10-15"), "Thu")
  eq(calendar.weekday("2026-10-10"), "Sat")
  eq(calendar.weekday(P("2026-10-18T23:59:00+08:00")), "Sun")
end)

test("close_of: the close of that working day, else of the next one", function()
  local cases = {
    { "2026-10-15T10:00:00+08:00", "2026-10-15T18:00:00+08:00", false },
    { "2026-10-15T20:00:00+08:00", "2026-10-15T18:00:00+08:00", false }, -- the day's close, although past
    { "2026-10-03T10:00:00+08:00", "2026-10-08T18:00:00+08:00", false }, -- a holiday
    { "2026-10-10T07:00:00+08:00", "2026-10-10T18:00:00+08:00", false }, -- a make-up Saturday
    { "2026-10-17T11:00:00+08:00", "2026-10-19T18:00:00+08:00", false }, -- an ordinary Saturday
    { "2027-01-02T10:00:00+08:00", "2027-01-04T18:00:00+08:00", true },
  }
  for _, c in ipairs(cases) do
    local t, provisional = calendar.close_of(c[1])
    eq({ calendar.format(t), provisional }, { c[2], c[3] }, c[1])
  end
end)

test("span_note: the holidays and make-up days a deadline spans", function()
  local cases = {
    { "2026-09-30T17:55:00+08:00", "2026-10-09T18:00:00+08:00", "1–7 Oct are holidays" },
    { "2026-09-30T17:55:00+08:00", "2026-10-12T10:00:00+08:00", "1–7 Oct are holidays; 10 Oct is a make-up working day" },
    { "2026-10-09T17:55:00+08:00", "2026-10-10T18:00:00+08:00", "10 Oct is a make-up working day" },
    { "2026-09-18T17:55:00+08:00", "2026-09-21T18:00:00+08:00", "20 Sep is a make-up working day" },
    { "2026-09-24T17:55:00+08:00", "2026-09-29T18:00:00+08:00", "25–27 Sep are holidays" },
    { "2026-02-13T17:55:00+08:00", "2026-02-25T18:00:00+08:00", "15–23 Feb are holidays; 14 Feb is a make-up working day" },
    { "2026-12-31T17:55:00+08:00", "2027-01-01T18:00:00+08:00", "the holiday schedule ends 31 Dec 2026" },
    { "2026-10-17T11:00:00+08:00", "2026-10-20T18:00:00+08:00", nil },
  }
  for _, c in ipairs(cases) do eq(calendar.span_note(c[1], c[2]), c[3], c[1] .. " to " .. c[2]) end
  -- As an explanation writes it (docs/calendar.md, "Days that end at their close").
  local received = "2026-09-30T17:55:00+08:00"
  local by = calendar.add(received, "2 working days")
  eq(string.format("reply by %s (%s; 2 working days after receipt; %s)", calendar.format(by), calendar.weekday(by),
    calendar.span_note(received, by)),
    "reply by 2026-10-09T18:00:00+08:00 (Fri; 2 working days after receipt; 1–7 Oct are holidays)")
end)

test("calendars cannot change after the files load", function()
  local err = fails(function() calendar { name = "default", holidays = {} } end,
    "calendar: calendars are defined when the policy files load, not while a policy runs")
  contains(err, "(tests/calendar/calendar_test.lua:")
  fails(function() calendar.define { name = "new" } end, "calendars are defined when the policy files load")
  err = fails(function() eval("redefine", { id = "r1" }) end,
    "calendar: calendars are defined when the policy files load, not while a policy runs (tests/calendar/calendars.lua:22)")
  clock.set("2026-10-08T10:00:00+08:00")
  put("redefine_later", { id = "r2" })
  fails(function() clock.advance("2 hours") end, "calendars are defined when the policy files load")
  -- and nothing moved
  eq(calendar.format((calendar.add("2026-09-30T17:55:00+08:00", "1 working day"))), "2026-10-08T18:00:00+08:00")
end)
