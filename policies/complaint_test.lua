-- complaint.lua against the example calendar: receipt just before a holiday, on a holiday, before a
-- make-up working day, before opening; escalation when overdue; cancellation when done.
local function due_of(list, name)
  for _, t in ipairs(list) do if t.name == name then return t.due end end
end

test("received 17:55 on the last working day before the holiday", function()
  local out = eval("complaint", { id = "k1", received_at = "2026-09-30T17:55:00+08:00", handler = "li", status = "open" })
  -- Thu 1 Oct – Wed 7 Oct are holidays: day 1 is Thu 8 Oct, day 2 Fri 9 Oct, both at the 18:00 close
  eq(out.deadlines[1].name, "investigate")
  eq(out.deadlines[1].due, "2026-10-08T18:00:00+08:00")
  eq(out.deadlines[2].due, "2026-10-09T18:00:00+08:00")
  contains(out.decisions[1].explanation, "investigate by 2026-10-08T18:00:00+08:00")
end)

test("received on a holiday: the next working day is day 1", function()
  local out = eval("complaint", { id = "k1", received_at = "2026-10-03T11:00:00+08:00", handler = "li", status = "open" })
  eq(out.deadlines[1].due, "2026-10-08T18:00:00+08:00")
end)

test("received on Friday evening: the make-up Sunday is a working day", function()
  local out = eval("complaint", { id = "k1", received_at = "2026-09-18T17:55:00+08:00", handler = "li", status = "open" })
  eq(out.deadlines[1].due, "2026-09-20T18:00:00+08:00") -- Sunday 20 September, 调休上班
  eq(out.deadlines[2].due, "2026-09-21T18:00:00+08:00")
end)

test("received before opening on a working day: that day counts", function()
  local out = eval("complaint", { id = "k1", received_at = "2026-10-12T08:00:00+08:00", handler = "li", status = "open" })
  eq(out.deadlines[1].due, "2026-10-12T18:00:00+08:00") -- Monday 12 October, 18:00 the same day
end)

test("received just before the Mid-Autumn holiday", function()
  local out = eval("complaint", { id = "k1", received_at = "2026-09-24T17:55:00+08:00", handler = "li", status = "open" })
  eq(out.deadlines[1].due, "2026-09-28T18:00:00+08:00") -- 25-27 September off: Monday 28
end)

test("an overdue investigation escalates and costs the handler a point", function()
  clock.set("2026-09-30T17:55:00+08:00")
  put("complaint", { id = "k2", received_at = "2026-09-30T17:55:00+08:00", handler = "li", status = "open" })
  eq(#timers("complaint", "k2"), 2)
  eq(clock.advance("next"), 1) -- to 8 October 18:00: the investigation is due and nobody investigated
  local l = ledger("li", "2026-10")
  eq(l.total, -1)
  contains(l.entries[1].reason, "investigation overdue")
  eq(#timers("complaint", "k2"), 1) -- the reply deadline is still pending
end)

test("investigating in time cancels that deadline; closing cancels the rest", function()
  clock.set("2026-09-30T17:55:00+08:00")
  put("complaint", { id = "k3", received_at = "2026-09-30T17:55:00+08:00", handler = "wu", status = "open" })
  clock.set("2026-10-08T10:00:00+08:00")
  put("complaint", { id = "k3", received_at = "2026-09-30T17:55:00+08:00", handler = "wu", status = "investigated" })
  local pending = timers("complaint", "k3")
  eq(#pending, 1)
  eq(pending[1].name, "reply")
  put("complaint", { id = "k3", received_at = "2026-09-30T17:55:00+08:00", handler = "wu", status = "closed" })
  eq(#timers("complaint", "k3"), 0)
  clock.advance("5 working days")
  eq(ledger("wu", "2026-10").total, 0)
end)

test("each timer fires once, even when the clock moves past it twice", function()
  clock.set("2026-09-30T17:55:00+08:00")
  put("complaint", { id = "k4", received_at = "2026-09-30T17:55:00+08:00", handler = "zhou", status = "open" })
  eq(clock.advance("3 working days"), 2)
  eq(clock.advance("3 working days"), 0)
  eq(ledger("zhou", "2026-10").total, -2)
end)

test("an unknown status is refused with its name", function()
  fails(function()
    eval("complaint", { id = "k5", received_at = "2026-09-30T17:55:00+08:00", handler = "li", status = "lost" })
  end, [[field 'status' must be one of "open", "investigated", "replied" or "closed", got "lost" (needed by policy ]] ..
       [[complaint, ]])
end)

test("a receipt time without its offset, or no real time, is refused", function()
  for _, at in ipairs { "2026-09-30 17:55", "2026-09-30T17:55:00", "2026-09-31T10:00:00+08:00", "yesterday" } do
    fails(function() eval("complaint", { id = "k8", received_at = at, handler = "li", status = "open" }) end,
      "field 'received_at' must be a date and time with its offset (such as 2026-10-08T18:00:00+08:00), got " ..
      string.format("%q", at))
  end
  eq(#eval("complaint", { id = "k8", received_at = "2026-09-30T09:55:00Z", handler = "li", status = "open" })
    .deadlines, 2)
end)

-- issue 9: a handler who adds a note to a late complaint must not lose a point each time
test("an overdue complaint saved again is not penalised again", function()
  clock.set("2026-09-30T17:55:00+08:00")
  local k = { id = "k6", received_at = "2026-09-30T17:55:00+08:00", handler = "h1", status = "open" }
  put("complaint", k)
  clock.set("2026-10-08T18:05:00+08:00")
  eq(clock.advance("1 minute"), 1) -- the investigation deadline fires: one escalation, -1
  eq(ledger("h1", "2026-10").total, -1)
  local out = put("complaint", { id = "k6", received_at = k.received_at, handler = "h1", status = "open",
                                 note = "called back" })
  local inv
  for _, d in ipairs(out.deadlines) do if d.name == "investigate" then inv = d end end
  eq(inv.status, "fired") -- the answer says it fired already, and when
  eq(inv.at, "2026-10-08T18:05:00+08:00")
  eq(clock.advance("5 minutes"), 0)
  eq(ledger("h1", "2026-10").total, -1)
  eq(#timers("complaint", "k6"), 1) -- only the reply deadline is pending
end)

test("a corrected receipt time arms a new deadline; the fired one stays fired", function()
  clock.set("2026-10-08T18:05:00+08:00")
  put("complaint", { id = "k7", received_at = "2026-09-30T17:55:00+08:00", handler = "h2", status = "open" })
  eq(clock.advance("1 minute"), 1) -- proposed in the past: fires at once, late
  local l = ledger("h2", "2026-10")
  eq(l.total, -1)
  -- the receipt was on 9 October, not 30 September: new dues, the investigation fires again then
  local out = put("complaint", { id = "k7", received_at = "2026-10-09T10:00:00+08:00", handler = "h2", status = "open" })
  for _, d in ipairs(out.deadlines) do eq(d.status, "armed") end
  eq(clock.advance("3 working days"), 2) -- due 10 October (a make-up Saturday) and 12 October
  eq(ledger("h2", "2026-10").total, -3)
end)

test("explanations in Chinese: 展开调查 and 回复 deadlines, dates as 10月8日(周四)18:00", function()
  local out = eval("complaint", { id = "k1", received_at = "2026-09-30T17:55:00+08:00", handler = "li", status = "open" })
  local zh = out.decisions[1].i18n["zh-CN"]
  eq(zh[1], "展开调查期限:10月8日(周四)18:00(9月30日(周三)17:55接到投诉后一个工作日内；10月1日–7日为节假日)")
  eq(zh[2], "给予客户满意回复期限:10月9日(周五)18:00(接到投诉后二个工作日内；10月1日–7日为节假日)")
  out = eval("complaint", { id = "k1", received_at = "2026-09-30T17:55:00+08:00", handler = "li", status = "closed" })
  eq(out.decisions[1].i18n["zh-CN"][1], "状态已结案:无待办期限")
  eq(out.decisions[1].explanation, "status closed: nothing pending")
end)
