test("24 clock hours, holidays included", function()
  local out = eval("inquiry", { id = "q1", received_at = "2026-09-30T17:55:00+08:00" })
  eq(out.deadlines[1].due, "2026-10-01T17:55:00+08:00") -- 1 October 17:55, a holiday: clock hours
end)

test("an unanswered inquiry escalates once its 24 hours pass", function()
  clock.set("2026-09-30T17:55:00+08:00")
  put("inquiry", { id = "q2", received_at = "2026-09-30T17:55:00+08:00" })
  eq(clock.advance("23 hours"), 0)
  eq(clock.advance("1 hour"), 1)
end)

test("answering cancels the deadline", function()
  clock.set("2026-09-30T17:55:00+08:00")
  put("inquiry", { id = "q3", received_at = "2026-09-30T17:55:00+08:00" })
  put("inquiry", { id = "q3", received_at = "2026-09-30T17:55:00+08:00", answered = true })
  eq(#timers("inquiry", "q3"), 0)
  eq(clock.advance("2 days"), 0)
end)
