-- attendance_test.lua — attendance.lua: the private errand, the unapproved outing with and without the form
-- at the gate, registration at 17:29 and 17:30 the day before, a punch correction at 12:00 and 12:01.
local function outing(extra)
  local f = { id = "o1", outing_on = "2026-11-20" }
  for k, v in pairs(extra or {}) do f[k] = v end
  local out = eval("outing", f)
  return out.record.attendance, out.decisions[1]
end

test("a private errand is absence (办理私事,一经发现按旷工处理)", function()
  local a, d = outing { approved = true, private_errand = true }
  eq(a, "absent")
  eq(d.explanation, "a private errand during the outing: absent (办理私事,一经发现按旷工处理)")
end)

test("unapproved and the form not at the gate: absent (私自外出…考勤视为旷工); either half alone is not", function()
  eq(outing({ approved = false, form_at_gate = false }), "absent")
  eq(outing({ approved = false, form_at_gate = true }), "outing")
  eq(outing({ approved = true, form_at_gate = false }), "outing")
  eq(outing(), "outing")
end)

test("registered by 17:29 the day before passes; at 17:30 it is late (17:30点前)", function()
  local _, d = outing { registered_at = "2026-11-19T17:29:59+08:00" }
  eq(d.verdict, nil)
  _, d = outing { registered_at = "2026-11-19T17:30:00+08:00" }
  eq(d.verdict, "hold")
  contains(d.explanation, "registered 2026-11-19T17:30:00+08:00, not before 2026-11-19T17:30:00+08:00 the day before")
  eq(select(2, outing { registered_at = "2026-11-20T08:00:00+08:00" }).verdict, "hold")
end)

test("a punch correction by 12:00 the next morning (第二日上午第一时间); 12:01 is late", function()
  local d = eval("missed_punch", { id = "m1", missed_on = "2026-11-19", filed_at = "2026-11-20T12:00:00+08:00" }).decisions[1]
  eq(d.verdict, "pass")
  d = eval("missed_punch", { id = "m1", missed_on = "2026-11-19", filed_at = "2026-11-20T12:01:00+08:00" }).decisions[1]
  eq(d.verdict, "hold")
  eq(d.explanation, "correction form 2026-11-20T12:01:00+08:00, after 2026-11-20T12:00:00+08:00 (当天或第二日上午第一时间补填)")
  eq(eval("missed_punch", { id = "m1", missed_on = "2026-11-19", filed_at = "2026-11-19T18:00:00+08:00" })
    .decisions[1].verdict, "pass")
end)

test("the planned return is before the close of office hours (预计返回时间应设定在下班时间前): 17:59 yes, 18:00 no", function()
  local _, d = outing { planned_return = "2026-11-20T17:59:00+08:00" }
  eq(d.verdict, nil)
  _, d = outing { planned_return = "2026-11-20T18:00:00+08:00" }
  eq(d.verdict, "hold")
  eq(d.reasons[2], "planned return 2026-11-20T18:00:00+08:00, not before the close of office hours " ..
    "2026-11-20T18:00:00+08:00 (预计返回时间应设定在下班时间前)")
end)
