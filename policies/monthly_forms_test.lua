test("October 2026: the 3rd, 8th and 9th working days, after the holiday week", function()
  -- working days of October in the example calendar: 8, 9, 10 (make-up Saturday), 12, 13, 14, 15, 16, 19 ...
  local out = eval("monthly_forms", { id = "2026-10", month = "2026-10" })
  eq(out.deadlines[1].name, "forms")
  eq(out.deadlines[1].due, "2026-10-10T18:00:00+08:00")
  out = eval("monthly_forms", { id = "2026-10", month = "2026-10", forms_submitted = true })
  eq(out.deadlines[1].due, "2026-10-16T18:00:00+08:00")
  out = eval("monthly_forms", { id = "2026-10", month = "2026-10", forms_submitted = true, reviewed = true })
  eq(out.deadlines[1].due, "2026-10-19T09:00:00+08:00") -- payout opens at 09:00 of the 9th
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

-- issue 14: 「每月第9个工作日…开始兑付」 — payout STARTS on working day 9; it is no completion deadline.
test("payout starts at the opening of working day 9 (开始兑付), announced then, never escalated", function()
  clock.set("2026-10-15T10:00:00+08:00")
  local out = put("monthly_forms", { id = "m9", month = "2026-10", forms_submitted = true, reviewed = true })
  eq(out.deadlines[1].name, "payout")
  eq(out.deadlines[1].due, "2026-10-19T09:00:00+08:00") -- Monday 19 October, the 9th working day, 09:00
  eq(out.decisions[1].explanation,
    "payout of last month's fees starts 2026-10-19T09:00:00+08:00 (opening of working day 9: 开始兑付)")
  eq(clock.advance("next"), 1)
  eq(#timers("monthly_forms", "m9"), 0)
end)

test("a payout recorded before working day 9 opens is held; from 09:00 that day it passes", function()
  clock.set("2026-10-19T08:59:59+08:00")
  local d = eval("monthly_forms", { id = "m", month = "2026-10", forms_submitted = true, reviewed = true,
                                    paid = true }).decisions[1]
  eq(d.verdict, "hold")
  eq(d.explanation, "paid is recorded before the payout may start, 2026-10-19T09:00:00+08:00 (working day 9: 开始兑付)")
  clock.set("2026-10-19T09:00:00+08:00")
  eq(eval("monthly_forms", { id = "m", month = "2026-10", forms_submitted = true, reviewed = true,
                             paid = true }).decisions[1].verdict, "pass")
  clock.set("2026-10-30T12:00:00+08:00") -- paid days later: no deadline was missed
  eq(eval("monthly_forms", { id = "m", month = "2026-10", forms_submitted = true, reviewed = true,
                             paid = true }).decisions[1].verdict, "pass")
end)

test("an overdue form escalates at the close of working day 3", function()
  clock.set("2026-10-08T10:00:00+08:00")
  put("monthly_forms", { id = "m3", month = "2026-10" })
  eq(clock.advance("next"), 1)
  eq(#timers("monthly_forms", "m3"), 0)
end)
