-- client_grade_test.lua — every bound of client_grade.lua just below, at and just above it (each 含, so
-- inclusive), the region-group coefficients on the VIP floor, and the provincial upstream rule.
local function grade(revenue, group, upstream)
  local out = eval("client", { id = "c1", annual_revenue = revenue, region_group = group,
                               provincial_upstream = upstream })
  return out.record.grade, out.decisions[1].explanation, out
end

test("diamond at exactly 5,000,000 (含500万元)", function()
  local g, why = grade(5000000, 1)
  eq(g, "diamond")
  eq(why, "grade diamond: annual_revenue 5,000,000 >= 5,000,000")
end)

test("diamond: 4,999,999 is platinum, 5,000,001 is diamond", function()
  local g, why = grade(4999999, 1)
  eq(g, "platinum")
  eq(why, "grade platinum: annual_revenue 4,999,999 >= 2,000,000")
  eq(grade(4999999.99, 1), "platinum")
  eq(grade(5000001, 1), "diamond")
end)

test("platinum: 1,999,999 is gold, 2,000,000 and 2,000,001 are platinum (含200万元)", function()
  eq(grade(1999999, 1), "gold")
  local g, why = grade(2000000, 1)
  eq(g, "platinum")
  eq(why, "grade platinum: annual_revenue 2,000,000 >= 2,000,000")
  eq(grade(2000001, 1), "platinum")
end)

test("gold: 199,999 is vip, 200,000 and 200,001 are gold (含20万元)", function()
  eq(grade(199999, 1), "vip")
  local g, why = grade(200000, 1)
  eq(g, "gold")
  eq(why, "grade gold: annual_revenue 200,000 >= 200,000")
  eq(grade(200001, 1), "gold")
end)

test("vip: 9,999 has no grade, 10,000 and 10,001 are vip (含1万元)", function()
  local g, why = grade(9999, 1)
  eq(g, nil)
  eq(why, "no grade: annual_revenue 9,999 < 10,000")
  g, why = grade(10000, 1)
  eq(g, "vip")
  eq(why, "grade vip: annual_revenue 10,000 >= 10,000")
  eq(grade(10001, 1), "vip")
  eq(grade(0, 1), nil)
end)

test("no region group uses the standard", function()
  local out = eval("client", { id = "c1", annual_revenue = 9999 })
  eq(out.record.grade, nil)
  eq(out.decisions[1].explanation, "no grade: annual_revenue 9,999 < 10,000")
end)

test("group 2 multiplies the VIP floor by 0.9: 8,999 / 9,000 / 9,001", function()
  local g, why = grade(8999, 2)
  eq(g, nil)
  eq(why, "no grade: annual_revenue 8,999 < 9,000 (10,000 × 0.9, region group 2 coefficient)")
  g, why = grade(9000, 2)
  eq(g, "vip")
  eq(why, "grade vip: annual_revenue 9,000 >= 9,000 (10,000 × 0.9, region group 2 coefficient)")
  eq(grade(9001, 2), "vip")
end)

test("group 3 multiplies the VIP floor by 0.8: 7,999 / 8,000 / 8,001", function()
  local g, why = grade(7999, 3)
  eq(g, nil)
  eq(why, "no grade: annual_revenue 7,999 < 8,000 (10,000 × 0.8, region group 3 coefficient)")
  g, why = grade(8000, 3)
  eq(g, "vip")
  eq(why, "grade vip: annual_revenue 8,000 >= 8,000 (10,000 × 0.8, region group 3 coefficient)")
  g, why = grade(8500, 3)
  eq(why, "grade vip: annual_revenue 8,500 >= 8,000 (10,000 × 0.8, region group 3 coefficient)")
  eq(grade(8001, 3), "vip")
end)

test("the coefficient scales neither the other grades nor the VIP upper bound", function()
  for _, group in ipairs { 2, 3 } do
    eq(grade(199999, group), "vip")
    eq(grade(200000, group), "gold")
    eq(grade(1999999, group), "gold")
    eq(grade(2000000, group), "platinum")
    eq(grade(4999999, group), "platinum")
    local g, why = grade(5000000, group)
    eq(g, "diamond")
    eq(why, "grade diamond: annual_revenue 5,000,000 >= 5,000,000")
  end
  eq(grade(9999, 1), nil)
end)

test("a provincial upstream client is diamond whatever its revenue", function()
  local g, why = grade(0, 1, true)
  eq(g, "diamond")
  contains(why, "provincial_upstream is true")
  g, why = grade(3000000, 3, true)
  eq(g, "diamond")
  contains(why, "provincial_upstream is true")
  g, why = grade(6000000, 1, true)
  eq(why, "grade diamond: annual_revenue 6,000,000 >= 5,000,000")
  eq(grade(3000000, 1, false), "platinum")
end)

test("a grade is removed when the revenue falls below every grade", function()
  local out = eval("client", { id = "c1", annual_revenue = 5, grade = "vip" })
  eq(out.record.grade, nil)
  eq(out.decisions[1].verdict, nil)
end)

test("a revenue of the wrong type is refused by name", function()
  fails(function() eval("client", { id = "c1", annual_revenue = "5000000" }) end,
    "field 'annual_revenue' must be a number, got string \"5000000\"")
end)

test("an unknown region group is an error naming the field", function()
  fails(function() eval("client", { id = "c1", annual_revenue = 9000, region_group = 4 }) end,
    "region_group must be 1, 2 or 3")
end)

test("put stores the grade with the decision", function()
  local out = put("client", { id = "c9", annual_revenue = 2000000, region_group = 1 })
  eq(out.record.grade, "platinum")
  eq(get("client", "c9").grade, "platinum")
  eq(out.decisions[1].policy, "client_grade")
end)

-- The per-bureau coefficient (可…适当: each city bureau's option), data in BUREAU_COEFFICIENT.
local function bureau(revenue, group, name)
  local out = eval("client", { id = "c1", annual_revenue = revenue, region_group = group, bureau = name })
  return out.record.grade, out.decisions[1].explanation, out.decisions[1]
end

-- { revenue, group, bureau, grade, explanation }: a listed bureau of group 3 uses its own factor, 0.85
-- (8,499 / 8,500); a bureau that does not apply the coefficient (factor 1) uses the standard, and says so.
local BUREAU_CASES = {
  { 8499, 3, "韶关市局", nil, "no grade: annual_revenue 8,499 < 8,500 (10,000 × 0.85, 韶关市局's coefficient)" },
  { 8500, 3, "韶关市局", "vip", "grade vip: annual_revenue 8,500 >= 8,500 (10,000 × 0.85, 韶关市局's coefficient)" },
  { 9999, 2, "河源市局", nil, "no grade: annual_revenue 9,999 < 10,000; 河源市局 does not apply the coefficient" },
  { 10000, 2, "河源市局", "vip", "grade vip: annual_revenue 10,000 >= 10,000; 河源市局 does not apply the coefficient" },
}

test("a listed bureau uses its own factor (0.85), or none (1), and says so", function()
  for _, c in ipairs(BUREAU_CASES) do
    local g, why = bureau(c[1], c[2], c[3])
    eq(g, c[4])
    eq(why, c[5])
  end
end)

test("a bureau not listed uses its region group's default", function()
  local g, why = bureau(9000, 2, "佛山市局")
  eq(g, "vip")
  contains(why, "region group 2 coefficient")
  eq(bureau(7999, 3, "佛山市局"), nil)
end)

test("in group 1 a listed bureau has no option: the standard", function()
  eq(bureau(8500, 1, "韶关市局"), nil)
  eq(bureau(10000, 1, "韶关市局"), "vip")
end)

test("explanations in Chinese: labels for the grades and the field, ≥ for >=", function()
  local _, _, d = bureau(5000000, 1)
  eq(d.i18n["zh-CN"][1], "钻石客户:年业务收入 5,000,000 ≥ 5,000,000")
  _, _, d = bureau(9999, 1)
  eq(d.i18n["zh-CN"][1], "未达客户等级:年业务收入 9,999 < 10,000")
  _, _, d = bureau(8500, 3, "韶关市局")
  eq(d.i18n["zh-CN"][1], "VIP客户:年业务收入 8,500 ≥ 8,500(10,000 × 0.85, 韶关市局的系数)")
  _, _, d = bureau(10000, 2, "河源市局")
  eq(d.i18n["zh-CN"][2], "河源市局不适用系数")
  local out = eval("client", { id = "c1", annual_revenue = 0, provincial_upstream = true })
  contains(out.decisions[1].i18n["zh-CN"][1], "钻石客户:省公司、省函件集邮局在CRM系统里注册的上游大客户")
  eq(out.decisions[1].i18n.messages[1].key, "upstream")
end)
