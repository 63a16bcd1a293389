test("a birthday greeting every year, 29 February on the 28th in other years", function()
  clock.set("2026-01-10T00:00:00+08:00")
  put("contact", { id = "p1", birthday = "1980-02-29" })
  eq(timers("contact", "p1")[1].due, "2026-02-28T09:00:00+08:00")
  eq(clock.advance("next"), 1)
  eq(timers("contact", "p1")[1].due, "2027-02-28T09:00:00+08:00")
end)

-- issue 9: a contact saved on the morning of their birthday was greeted a year later
test("a contact saved at 10:00 on their birthday is greeted that day", function()
  clock.set("2026-05-20T10:00:00+08:00")
  local out = put("contact", { id = "p2", birthday = "1990-05-20" })
  eq(out.deadlines[1].due, "2026-05-20T09:00:00+08:00") -- already past: it fires at once
  eq(clock.advance("1 minute"), 1)
  eq(timers("contact", "p2")[1].due, "2027-05-20T09:00:00+08:00") -- then next year's
end)

test("saved at 23:59 on the birthday still greets; at 00:00 the day after, next year", function()
  clock.set("2026-05-20T23:59:00+08:00")
  eq(put("contact", { id = "p3", birthday = "1990-05-20" }).deadlines[1].due, "2026-05-20T09:00:00+08:00")
  clock.set("2026-05-21T00:00:00+08:00")
  eq(put("contact", { id = "p4", birthday = "1990-05-20" }).deadlines[1].due, "2027-05-20T09:00:00+08:00")
end)

test("New Year gifts every 1 December", function()
  clock.set("2026-12-05T00:00:00+08:00")
  put("gift_calendar", { id = "acme" })
  eq(timers("gift_calendar", "acme")[1].due, "2027-12-01T09:00:00+08:00")
  clock.set("2026-12-01T15:00:00+08:00") -- during 1 December itself: today's reminder
  put("gift_calendar", { id = "beta" })
  eq(timers("gift_calendar", "beta")[1].due, "2026-12-01T09:00:00+08:00")
end)

test("project visits: monthly in the first year, then quarterly, each by the end of its day", function()
  clock.set("2026-01-15T10:00:00+08:00")
  put("project", { id = "x", delivered_on = "2026-01-15" })
  eq(timers("project", "x")[1].due, "2026-02-16T00:00:00+08:00") -- the end of 15 February (24:00)
  clock.set("2027-01-15T10:30:00+08:00") -- the 12-month visit's day has not ended: it is still due
  put("project", { id = "x", delivered_on = "2026-01-15" })
  eq(timers("project", "x")[1].due, "2027-01-16T00:00:00+08:00")
  eq(clock.advance("next"), 1)
  eq(timers("project", "x")[1].due, "2027-04-16T00:00:00+08:00") -- then quarterly: 15 months
end)

-- issue 14: 「在重要节假日或客户生日时,对现有的各种级别客户均须编写短信」 — holidays as well as birthdays.
test("a greeting on each important holiday (在重要节假日), in order, re-armed after each", function()
  clock.set("2026-09-01T12:00:00+08:00")
  local out = put("holiday_calendar", { id = "acme" })
  eq(out.deadlines[1].due, "2026-09-25T09:00:00+08:00")
  eq(out.decisions[1].explanation,
    "next holiday greeting 2026-09-25T09:00:00+08:00: Mid-Autumn (中秋节) (在重要节假日…均须编写短信)")
  local expect = { "2026-10-01T09:00:00+08:00", "2027-01-01T09:00:00+08:00", "2027-02-06T09:00:00+08:00",
                   "2027-05-01T09:00:00+08:00", "2027-06-09T09:00:00+08:00" }
  for _, due in ipairs(expect) do
    eq(clock.advance("next"), 1)
    eq(timers("holiday_calendar", "acme")[1].due, due)
  end
end)

test("saved during a holiday's day, that day's greeting still goes; 清明节 is no occasion", function()
  clock.set("2026-10-01T15:00:00+08:00")
  eq(put("holiday_calendar", { id = "b" }).deadlines[1].due, "2026-10-01T09:00:00+08:00")
  clock.set("2026-04-02T00:00:00+08:00") -- 清明 4–6 April: the next greeting is Labour Day
  eq(put("holiday_calendar", { id = "c" }).deadlines[1].due, "2026-05-01T09:00:00+08:00")
end)

test("past the lunar dates listed, the fixed holidays go on", function()
  clock.set("2027-12-01T00:00:00+08:00")
  eq(put("holiday_calendar", { id = "d" }).deadlines[1].due, "2028-01-01T09:00:00+08:00")
end)
