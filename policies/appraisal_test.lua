-- appraisal_test.lua — appraisal.lua: the pay formula and its rounding, the 60/40 director score, no
-- sales task, the month of the formal hire and the month before, merit points, the annual mean.
local function pay(fields)
  local f = { id = "a1", employee = "sun", month = "2026-10", base_salary = 5000, position_salary = 3000 }
  for k, v in pairs(fields) do f[k] = v end
  local out = eval("appraisal", f)
  return out.record.performance_pay, out.decisions[1], out
end

test("(基本工资+职务工资)*30% × score: (5,000 + 3,000) × 30% = 2,400, × 0.9 = 2,160", function()
  local p, d, out = pay { score = 0.9 }
  eq(p, 2160)
  eq(out.record.performance_pay_base, 2400)
  eq(d.explanation, "performance pay 2,160 = (base 5,000 + position 3,000) × 30% = 2,400 × score 0.9 " ..
    "((基本工资+职务工资)*30%*绩效成绩)")
  eq(pay { score = 1 }, 2400)
  eq(pay { score = 0 }, 0)
  eq(pay { score = 1.2 }, 2880)
end)

test("pay is rounded to the fen, half up", function()
  eq(pay { base_salary = 3333, position_salary = 0, score = 1 }, 999.9)
  eq(pay { base_salary = 1000.05, position_salary = 0, score = 1 }, 300.02) -- 300.015 → 300.02
end)

test("director level: 60% department + 40% personal (所辖部门…60%, 个人…40%)", function()
  local p, d = pay { director = true, department_score = 1, personal_score = 0.8 }
  eq(p, 2208) -- score 0.92
  contains(d.explanation, "score 0.92 = 60% × department 1 + 40% × personal 0.8")
  d = select(2, pay { director = true, department_score = 1, score = 1 })
  eq(d.verdict, "hold")
  contains(d.explanation, "a director needs department_score and personal_score")
end)

test("no score: held, nothing computed", function()
  local p, d = pay {}
  eq(p, nil)
  eq(d.verdict, "hold")
  eq(d.explanation, "no score recorded: score")
end)

test("no sales task this month: no performance pay (若当月无销售任务,对应无绩效工资)", function()
  local p, d = pay { score = 1, sales_task = false }
  eq(p, 0)
  eq(d.explanation, "no sales task this month: no performance pay (若当月无销售任务,对应无绩效工资)")
  eq(pay { score = 1, sales_task = true }, 2400)
end)

test("appraised from the month of the formal hire (考核时间从正式录用当月开始考核), not the month before", function()
  local p, d = pay { score = 1, formal_on = "2026-11-01" }
  eq(p, nil)
  eq(d.explanation, "not appraised in 2026-10: formally hired on 2026-11-01 (考核时间从正式录用当月开始考核)")
  eq(pay { score = 1, formal_on = "2026-10-31" }, 2400)
  eq(pay { score = 1, formal_on = "2026-10-01" }, 2400)
end)

test("merit points: +1 per outstanding contribution, -1 per clear major error (每次加1分 / 每次扣1分)", function()
  local out = eval("merit_event", { id = "e1", employee = "sun", kind = "contribution", month = "2026-10" })
  eq(out.points[1].points, 1)
  eq(out.points[1].reason, "outstanding contribution: +1 (有突出贡献,每次加1分)")
  put("merit_event", { id = "e2", employee = "sun", kind = "major_error", month = "2026-10" })
  put("merit_event", { id = "e3", employee = "sun", kind = "major_error", month = "2026-10" })
  put("merit_event", { id = "e4", employee = "sun", kind = "contribution", month = "2026-10" })
  eq(ledger("sun", "2026-10").total, -1)
  fails(function() eval("merit_event", { id = "e5", employee = "sun", kind = "praise" }) end, "field 'kind' must be one of")
end)

test("the annual score is the mean of the monthly scores (全年的平均考核成绩)", function()
  local out = eval("annual_appraisal", { id = "y1", monthly_scores = { 1, 0.9, 0.8 } })
  eq(out.record.annual_score, 0.9)
  eq(out.decisions[1].explanation,
    "annual score 0.9: the mean of 3 monthly scores (汇总员工每月的月度成绩得出全年的平均考核成绩)")
  eq(eval("annual_appraisal", { id = "y2", monthly_scores = {} }).decisions[1].verdict, "hold")
  fails(function() eval("annual_appraisal", { id = "y3", monthly_scores = { 1, "x" } }) end,
    "monthly_scores[2] must be a number, got string")
end)
