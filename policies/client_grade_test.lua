-- Boundaries of client_grade.lua: each bound inclusive (含), the VIP coefficients, the upstream rule.
local function grade(revenue, group, upstream)
  local out = eval("client", { id = "c1", annual_revenue = revenue, region_group = group, provincial_upstream = upstream })
  return out.record.grade, out.decisions[1].explanation
end

test("diamond at exactly 5,000,000 (500万元(含))", function()
  local g, why = grade(5000000, 1)
  eq(g, "diamond")
  eq(why, "grade diamond: annual_revenue 5,000,000 >= 5,000,000")
end)

test("platinum just below 5,000,000", function()
  eq(grade(4999999, 1), "platinum")
end)

test("platinum at exactly 2,000,000; gold just below", function()
  local g, why = grade(2000000, 1)
  eq(g, "platinum")
  contains(why, "2,000,000 >= 2,000,000")
  eq(grade(1999999.99, 1), "gold")
end)

test("gold at exactly 200,000; vip just below", function()
  eq(grade(200000, 1), "gold")
  eq(grade(199999, 1), "vip")
end)

test("vip at exactly 10,000; no grade just below (group 1)", function()
  eq(grade(10000, 1), "vip")
  local g, why = grade(9999, 1)
  eq(g, nil)
  eq(why, "no grade: annual_revenue 9,999 < 10,000")
end)

test("group 2 scales the VIP floor by 0.9: 9,000 inclusive", function()
  local g, why = grade(9000, 2)
  eq(g, "vip")
  eq(why, "grade vip: annual_revenue 9,000 >= 9,000 (10,000 × 0.9, region group 2 coefficient)")
  eq(grade(8999, 2), nil)
end)

test("group 3 scales the VIP floor by 0.8: 8,000 inclusive", function()
  eq(grade(8000, 3), "vip")
  local g, why = grade(7999, 3)
  eq(g, nil)
  contains(why, "< 8,000 (10,000 × 0.8, region group 3 coefficient)")
end)

test("the coefficient leaves the other tiers alone", function()
  eq(grade(199999, 3), "vip")
  eq(grade(200000, 3), "gold")
  eq(grade(5000000, 3), "diamond")
end)

test("a provincial upstream client is diamond whatever its revenue", function()
  local g, why = grade(0, 1, true)
  eq(g, "diamond")
  contains(why, "provincial_upstream is true")
end)

test("a previous grade is removed when revenue falls below every tier", function()
  local out = eval("client", { id = "c1", annual_revenue = 5, grade = "vip" })
  eq(out.record.grade, nil)
end)

test("a mistyped revenue is refused by name", function()
  fails(function() eval("client", { id = "c1", annual_revenue = "5000000" }) end,
    "field 'annual_revenue' must be a number, got string \"5000000\"")
end)

test("stored with the decision and its version", function()
  local out = put("client", { id = "c9", annual_revenue = 2000000, region_group = 1 })
  eq(out.record.grade, "platinum")
  eq(get("client", "c9").grade, "platinum")
  ok(#out.decisions[1].version == 16, "the version is the policy file's hash")
end)
