-- notice_periods_test.lua — notice_periods.lua: each period's last day and the day after, the deadline and its
-- overdue event, the repair kinds, a recruiting request a month ahead to the day, the special-fee order.
local function within(type_, fields)
  fields.id = fields.id or "x1"
  local out = eval(type_, fields)
  return out.decisions[1], out
end

test("return visit within 3 days of the service (必须保证在三天之内回访): day 3 passes, day 4 is late", function()
  local d, out = within("service_visit", { served_on = "2026-11-02" })
  eq(out.deadlines[1].name, "service_return_visit")
  eq(out.deadlines[1].due, "2026-11-06T00:00:00+08:00") -- the end of 5 November
  contains(d.explanation, "return visit due by 2026-11-06T00:00:00+08:00")
  eq(within("service_visit", { served_on = "2026-11-02", visited_on = "2026-11-05" }).verdict, "pass")
  d = within("service_visit", { served_on = "2026-11-02", visited_on = "2026-11-06" })
  eq(d.verdict, "hold")
  eq(d.explanation, "return visit on 2026-11-06, after the end of 2026-11-05: later than 3 days of 2026-11-02 " ..
    "(必须保证在三天之内回访)")
end)

test("a new client is contacted within a week (应在一周内与客户进行沟通)", function()
  eq(within("client_assignment", { assigned_on = "2026-11-02", contacted_on = "2026-11-09" }).verdict, "pass")
  eq(within("client_assignment", { assigned_on = "2026-11-02", contacted_on = "2026-11-10" }).verdict, "hold")
end)

test("property call-backs: safety 2 days, leaks 3 days after the leak test, others 2", function()
  eq(within("property_repair", { repaired_on = "2026-11-02", repair_kind = "safety", called_back_on = "2026-11-04" }).verdict, "pass")
  eq(within("property_repair", { repaired_on = "2026-11-02", repair_kind = "safety", called_back_on = "2026-11-05" }).verdict, "hold")
  eq(within("property_repair", { repaired_on = "2026-11-02", repair_kind = "leak", called_back_on = "2026-11-05" }).verdict, "pass")
  eq(within("property_repair", { repaired_on = "2026-11-02", repair_kind = "other", called_back_on = "2026-11-05" }).verdict, "hold")
  fails(function() within("property_repair", { repaired_on = "2026-11-02", repair_kind = "roof" }) end,
    [[field 'repair_kind' must be one of "leak", "other" or "safety", got "roof"]])
end)

test("arrears: three months after the phone notice the formal letter is due (三个月内仍未缴纳)", function()
  clock.set("2026-08-31T10:00:00+08:00")
  local out = put("property_arrears", { id = "h1", phoned_on = "2026-08-31" })
  eq(out.deadlines[1].due, "2026-12-01T00:00:00+08:00") -- the end of 30 November (no 31 November)
  eq(clock.advance("next"), 1)
  eq(#timers("property_arrears", "h1"), 0)
  put("property_arrears", { id = "h2", phoned_on = "2026-08-31" })
  put("property_arrears", { id = "h2", phoned_on = "2026-08-31", paid_on = "2026-09-15" })
  eq(#timers("property_arrears", "h2"), 0)
end)

test("report for duty the day after the medical (体检合格次日报到); two days after is late", function()
  eq(within("new_hire", { medical_passed_on = "2026-11-02", reported_on = "2026-11-03" }).verdict, "pass")
  eq(within("new_hire", { medical_passed_on = "2026-11-02", reported_on = "2026-11-04" }).verdict, "hold")
end)

test("the second interview's result within a week (复试结果应于一周之内通知)", function()
  eq(within("interviewee", { second_interview_on = "2026-11-02", notified_on = "2026-11-09" }).verdict, "pass")
  eq(within("interviewee", { second_interview_on = "2026-11-02", notified_on = "2026-11-10" }).verdict, "hold")
end)

test("recruiting requests 1 month ahead, 2 for an important post (一般岗位提前1个月、重要岗位提前2个月)", function()
  local d = within("recruit_request", { requested_on = "2026-11-01", needed_on = "2026-12-01" })
  eq(d.verdict, "pass")
  eq(d.explanation, "requested 2026-11-01 for a need on 2026-12-01: by 2026-11-01, 1 month ahead for an ordinary post " ..
    "(一般岗位提前1个月、重要岗位提前2个月)")
  eq(within("recruit_request", { requested_on = "2026-11-02", needed_on = "2026-12-01" }).verdict, "hold")
  eq(within("recruit_request", { requested_on = "2026-10-01", needed_on = "2026-12-01", important = true }).verdict, "pass")
  d = within("recruit_request", { requested_on = "2026-10-02", needed_on = "2026-12-01", important = true })
  eq(d.verdict, "hold")
  contains(d.explanation, "less than 2 months ahead")
end)

test("a special-fee application after the contract is void (必须在签订合同前填写)", function()
  eq(within("special_fee", { applied_on = "2026-11-01", contract_on = "2026-11-02" }).verdict, "pass")
  local d = within("special_fee", { applied_on = "2026-11-02", contract_on = "2026-11-02" })
  eq(d.verdict, "reject")
  contains(d.explanation, "void")
end)
