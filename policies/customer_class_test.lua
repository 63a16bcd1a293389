-- customer_class_test.lua — customer_class.lua at every illustrative bound (a yuan and a percent either
-- side), and the patrol visitor who is the local representative.
local function class(sales, growth, extra)
  local f = { id = "k1", annual_sales = sales, growth = growth }
  for k, v in pairs(extra or {}) do f[k] = v end
  local out = eval("patrol_customer", f)
  return out.record.class, out.decisions[1]
end

test("class A from 5,000,000 (illustrative), B below it", function()
  local c, d = class(5000000)
  eq(c, "A")
  eq(d.explanation, "class A (illustrative thresholds: the document gives none): rule 1 'A': annual_sales 5,000,000 >= 5,000,000")
  eq(class(4999999), "B")
end)

test("a growing client (growth 20% and up) from 2,000,000 is A; 19.9% is B", function()
  eq(class(2000000, 20), "A")
  eq(class(2000000, 19.9), "B")
  eq(class(1999999, 50), "B")
  eq(class(2000000), "B") -- growth not recorded
end)

test("B from 1,000,000, C from 200,000, D below", function()
  eq(class(1000000), "B")
  eq(class(999999), "C")
  eq(class(200000), "C")
  local c, d = class(199999)
  eq(c, "D")
  contains(d.explanation, "rule 5 'D'")
  eq(class(0), "D")
end)

test("the patrol visitor is as a rule not the local representative (原则上不能由本地区的负责业务员担任)", function()
  local _, d = class(300000, nil, { patrol_by = "wu", local_rep = "wu" })
  eq(d.verdict, "hold")
  contains(d.explanation, "the patrol visitor wu is the local account representative")
  contains(d.explanation, "the sales manager (销售部经理) decides")
  _, d = class(300000, nil, { patrol_by = "wu", local_rep = "wu", decided_by = "mgr.he", decision = "pass",
                              decision_reason = "only one person covers this county" })
  eq(d.verdict, "pass")
  contains(d.explanation, "decided by mgr.he (the sales manager (销售部经理)): pass — only one person covers this county")
  _, d = class(300000, nil, { patrol_by = "qin", local_rep = "wu" })
  eq(d.verdict, "pass")
end)

test("negative sales are refused by field", function()
  fails(function() class(-5) end, "field 'annual_sales' must be a number of at least 0, got -5")
end)
