-- sales_month_test.lua — sales_month.lua around every step: the target (100,000) and the minimum (60,000),
-- one and two full 10,000s beyond each, and a yuan either side of every step.
local function month(sales, target, minimum)
  local out = eval("sales_month", { id = "m1", employee = "zhao", month = "2026-10", sales = sales,
                                    target = target or 100000, minimum = minimum or 60000 })
  return out.points[1] and out.points[1].points or 0, out
end

test("at the target, and just above it by less than 10,000: no points", function()
  local p0, out0 = month(100000)
  eq(p0, 0)
  eq(out0.decisions[1].explanation, "sales 100,000 are between minimum 60,000 and target 100,000: no points")
  eq(month(100001), 0)
  local p, out = month(109999)
  eq(p, 0)
  eq(#out.points, 0)
  eq(out.decisions[1].explanation,
    "sales 109,999 are 9,999 above target 100,000, less than a full 10,000: no points")
end)

test("10,000 above the target is +1 (每超额完成目标销售额1万元加1分)", function()
  local p, out = month(110000)
  eq(p, 1)
  eq(out.points[1].subject, "zhao")
  eq(out.points[1].period, "2026-10")
  eq(out.points[1].reason,
    "sales 110,000 are 10,000 above target 100,000: +1 points, one per full 10,000 (每超额完成目标销售额1万元加1分)")
  eq(month(110001), 1)
end)

test("only full 10,000s count: 19,999 above is +1, 20,000 is +2", function()
  eq(month(119999), 1)
  eq(month(120000), 2)
  eq(month(120001), 2)
  eq(month(110000.5), 1)
  eq(month(1000000), 90)
end)

test("between the minimum and the target, and at the minimum: no points", function()
  local p, out = month(80000)
  eq(p, 0)
  eq(out.decisions[1].explanation, "sales 80,000 are between minimum 60,000 and target 100,000: no points")
  eq(month(99999), 0)
  eq(month(60001), 0)
  eq(month(60000), 0)
end)

test("below the minimum by less than 10,000: no points", function()
  eq(month(59999), 0)
  local p, out = month(50001)
  eq(p, 0)
  contains(out.decisions[1].explanation, "9,999 below minimum 60,000, less than a full 10,000: no points")
end)

test("10,000 below the minimum is -1 (每低于最低销售额1万元扣1分)", function()
  local p, out = month(50000)
  eq(p, -1)
  eq(out.points[1].reason,
    "sales 50,000 are 10,000 below minimum 60,000: -1 points, one per full 10,000 (每低于最低销售额1万元扣1分)")
  eq(month(49999), -1)
  eq(month(40001), -1)
  eq(month(40000), -2)
  eq(month(0), -6)
end)

test("a minimum equal to the target leaves no band between them", function()
  eq(month(100000, 100000, 100000), 0)
  eq(month(90000, 100000, 100000), -1)
  eq(month(110000, 100000, 100000), 1)
end)

-- issue 14: 「若当月无销售任务,对应无绩效工资」 means no performance pay at all, not merely no points.
test("no target this month: no performance pay at all (若当月无销售任务,对应无绩效工资)", function()
  local out = eval("sales_month", { id = "m2", employee = "zhao", month = "2026-10", sales = 50000 })
  eq(#out.points, 0)
  eq(out.record.performance_pay, 0)
  eq(out.decisions[1].explanation, "no sales target this month: no performance pay at all (若当月无销售任务,对应无绩效工资)")
  local _, with = month(130000)
  eq(with.record.performance_pay, nil) -- with a target the pay is left to the pay run
end)

test("without a minimum only the target counts", function()
  local out = eval("sales_month", { id = "m3", employee = "zhao", month = "2026-10", sales = 0, target = 100000 })
  eq(#out.points, 0)
  out = eval("sales_month", { id = "m3", employee = "zhao", month = "2026-10", sales = 130000, target = 100000 })
  eq(out.points[1].points, 3)
end)

test("the points land in the ledger of the record's month", function()
  put("sales_month", { id = "m4", employee = "qian", month = "2026-09", sales = 130000, target = 100000, minimum = 60000 })
  eq(ledger("qian", "2026-09").total, 3)
  eq(ledger("qian", "2026-10").total, 0)
end)

test("inconsistent figures are errors", function()
  fails(function() month(80000, 50000, 60000) end, "minimum 60,000 is above target 50,000")
  fails(function()
    eval("sales_month", { id = "m5", employee = "zhao", month = "October", sales = 1, target = 2, minimum = 1 })
  end, "field 'month' must be a month (YYYY-MM), got \"October\"")
end)
