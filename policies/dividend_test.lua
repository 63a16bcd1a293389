test("the return visit is due by the end of the day 30 days before the payout date", function()
  local out = eval("dividend", { id = "d1", payout_date = "2026-11-20" })
  eq(out.deadlines[1].name, "return_visit")
  eq(out.deadlines[1].due, "2026-10-22T00:00:00+08:00") -- the end of 21 October (24:00)
  contains(out.decisions[1].explanation, "return visit by the end of 2026-10-21")
end)

-- issue 9: 「客服部须在派息到期日前30天做客户回访工作」 — a visit at noon that day was escalated
test("a visit made at 12:00 on the 30th day before the payout is on time", function()
  clock.set("2026-10-01T09:00:00+08:00")
  put("dividend", { id = "d3", payout_date = "2026-11-20" })
  clock.set("2026-10-21T12:00:00+08:00")
  put("dividend", { id = "d3", payout_date = "2026-11-20", visited_at = "2026-10-21T12:00:00+08:00" })
  local t = timers("dividend", "d3")
  eq(#t, 1)
  eq(t[1].name, "computation") -- the visit's deadline was cancelled before it fell due
  eq(clock.advance("1 day"), 0) -- nothing escalates at the end of the day
end)

test("the computation is due 5 working days after the visit, over the holiday", function()
  local out = eval("dividend", { id = "d1", payout_date = "2026-11-20", visited_at = "2026-09-29T15:00:00+08:00" })
  -- Wed 30 Sep, then Thu 8, Fri 9, Sat 10 (make-up), Mon 12 Oct: due 12 October 18:00
  eq(out.deadlines[1].name, "computation")
  eq(out.deadlines[1].due, "2026-10-12T18:00:00+08:00")
end)

test("the finance check is due 2 working days after the computation", function()
  local out = eval("dividend", { id = "d1", payout_date = "2026-11-20", visited_at = "2026-10-12T10:00:00+08:00",
    computed_at = "2026-10-16T16:00:00+08:00" })
  eq(out.deadlines[1].due, "2026-10-20T18:00:00+08:00") -- Mon 19, Tue 20 October
end)

test("each step done cancels its deadline and sets the next", function()
  clock.set("2026-10-01T00:00:00+08:00")
  put("dividend", { id = "d2", payout_date = "2026-11-20" })
  put("dividend", { id = "d2", payout_date = "2026-11-20", visited_at = "2026-10-12T10:00:00+08:00" })
  local t = timers("dividend", "d2")
  eq(#t, 1)
  eq(t[1].name, "computation")
  eq(clock.advance("next"), 1) -- nobody computed: escalation
end)

test("explanations in Chinese", function()
  local out = eval("dividend", { id = "d1", payout_date = "2026-11-20" })
  eq(out.decisions[1].i18n["zh-CN"][1], "回访期限:2026-10-21当日结束前(分红日2026-11-20前30天)")
  out = eval("dividend", { id = "d1", payout_date = "2026-11-20", visited_at = "2026-10-09T10:00:00+08:00" })
  eq(out.decisions[1].i18n["zh-CN"][1], "分红测算期限:10月15日(周四)18:00(回访后5个工作日内；10月10日为调休上班日)")
end)
