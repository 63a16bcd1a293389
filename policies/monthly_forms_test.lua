test("October 2026: the 3rd, 8th and 9th working days, after the holiday week", function()
  -- working days of October in the example calendar: 8, 9, 10 (make-up Saturday), 12, 13, 14, 15, 16, 19 ...
  local out = eval("monthly_forms", { id = "2026-10", month = "2026-10" })
  eq(out.deadlines[1].name, "forms")
  eq(out.deadlines[1].due, "2026-10-10T18:00:00+08:00")
  out = eval("monthly_forms", { id = "2026-10", month = "2026-10", forms_submitted = true })
  eq(out.deadlines[1].due, "2026-10-16T18:00:00+08:00")
  out = eval("monthly_forms", { id = "2026-10", month = "2026-10", forms_submitted = true, reviewed = true })
  eq(out.deadlines[1].due, "2026-10-19T18:00:00+08:00")
end)

test("all done: nothing pending", function()
  clock.set("2026-10-01T00:00:00+08:00")
  put("monthly_forms", { id = "m", month = "2026-10" })
  put("monthly_forms", { id = "m", month = "2026-10", forms_submitted = true, reviewed = true, paid = true })
  eq(#timers("monthly_forms", "m"), 0)
end)

test("the reminder re-arms itself every month", function()
  clock.set("2026-09-15T12:00:00+08:00")
  put("forms_calendar", { id = "acme" })
  eq(timers("forms_calendar", "acme")[1].due, "2026-10-08T18:00:00+08:00") -- 1st working day of October
  eq(clock.advance("next"), 1)
  eq(timers("forms_calendar", "acme")[1].due, "2026-11-02T18:00:00+08:00") -- Monday 2 November
  eq(clock.advance("next"), 1)
  eq(timers("forms_calendar", "acme")[1].due, "2026-12-01T18:00:00+08:00")
end)
