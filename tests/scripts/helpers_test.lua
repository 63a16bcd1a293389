-- helpers_test.lua — the helpers in scripts/ on their own: fmt's numbers, threshold's tiers and their
-- sentences (inclusive and exclusive bounds, scaled tiers, bad specs), dtable's hit policies.
local fmt = require "fmt"
local threshold = require "threshold"
local dtable = require "dtable"

test("fmt.number groups thousands and keeps Lua's spelling of the rest", function()
  eq(fmt.number(0), "0")
  eq(fmt.number(999), "999")
  eq(fmt.number(1000), "1,000")
  eq(fmt.number(5200000), "5,200,000")
  eq(fmt.number(-12000), "-12,000")
  eq(fmt.number(5e6), "5,000,000")
  eq(fmt.number(9000.5), "9,000.5")
  eq(fmt.number(1234567890123), "1,234,567,890,123")
  eq(fmt.number(math.mininteger), "-9,223,372,036,854,775,808")
  eq(fmt.number(1e20), "1e+20")
  fails(function() fmt.number("12") end, "bad argument #1 to 'number' (number expected, got string)")
end)

test("fmt.around is before .. fmt.number(n) .. after, for every size of number", function()
  for _, n in ipairs { 0, 7, 999, 1000, 65536, 999999, 1000000, 6932606, 999999999, 1000000000,
                       999999999999, 1000000000000, -1, -5000000, 2.5, 1e300, 0 / 0, 5e6 } do
    eq(fmt.around("<", n, ">"), "<" .. fmt.number(n) .. ">", tostring(n))
  end
end)

local GRADES = threshold.tiers {
  field = "annual_revenue", label = "grade",
  { "diamond", 5000000 },
  { "gold", 200000 },
  { "mid", 0, exclusive = true },
}

-- A pick as { name, its because as English text } (the because is a message; tostring is its English).
local function picked(name, why) return { name, tostring(why) } end

test("threshold: lower bounds inclusive unless exclusive, with the sentence", function()
  eq(picked(GRADES:pick(5000000)), { "diamond", "grade diamond: annual_revenue 5,000,000 >= 5,000,000" })
  eq(picked(GRADES:pick(4999999.5)), { "gold", "grade gold: annual_revenue 4,999,999.5 >= 200,000" })
  eq(picked(GRADES:pick(1)), { "mid", "grade mid: annual_revenue 1 > 0" })
  eq(picked(GRADES:pick(0)), { nil, "no grade: annual_revenue 0 <= 0" })
  eq(picked(GRADES:pick(-3)), { nil, "no grade: annual_revenue -3 <= 0" })
  eq(GRADES:lower("gold"), 200000)
end)

test("threshold: units, scaled tiers and their arithmetic", function()
  local t = threshold.tiers { field = "sales", unit = "yuan", { "vip", 10000 } }
  eq(picked(t:pick(10000)), { "vip", "tier vip: sales 10,000 yuan >= 10,000 yuan" })
  eq(picked(t:pick(9999)), { nil, "no tier: sales 9,999 yuan < 10,000 yuan" })
  local s = t:scaled({ vip = 0.9 }, "group 2")
  eq(picked(s:pick(9000)), { "vip", "tier vip: sales 9,000 yuan >= 9,000 yuan (10,000 yuan × 0.9, group 2)" })
  eq(picked(t:pick(8500, { vip = 0.8 })), { "vip", "tier vip: sales 8,500 yuan >= 8,000 yuan (10,000 yuan × 0.8)" })
  fails(function() s:scaled(2) end, "scaled already")
end)

test("threshold: a bad spec or value is an error that names it", function()
  fails(function() threshold.tiers { field = "x", { "a", 1 }, { "b", 2 } } end, "bounds must descend")
  fails(function() threshold.tiers { field = "x", colour = 1, { "a", 1 } } end, "unknown key \"colour\"")
  fails(function() threshold.tiers { { "a", 1 } } end, "'field' must name the record field")
  fails(function() GRADES:pick("12") end, "annual_revenue must be a number, got \"12\"")
  fails(function() GRADES:pick(0 / 0) end, "got nan")
end)

local RULES = {
  inputs = { "age", "level" },
  rules = {
    { "minor", when = { age = "< 18" }, out = "reject" },
    { "senior", when = { level = { "middle", "senior" } }, out = "hold" },
    { "otherwise", out = "pass" },
  },
}

test("dtable: first, collect and unique", function()
  RULES.hit = "first"
  local first = dtable.new(RULES)
  eq(first:eval { age = 17, level = "senior" }, "reject")
  eq(tostring(select(2, first:eval { age = 17 })), "rule 1 'minor': age 17 < 18")
  RULES.hit = "collect"
  local outs = dtable.new(RULES):eval { age = 17, level = "senior" }
  eq(outs, { "reject", "hold", "pass" })
  RULES.hit = "unique"
  fails(function() dtable.new(RULES):eval { age = 17 } end, "minor")
end)

-- { fields, English reasons, Chinese reasons } of the probe policy (probe.lua), whose labels translate
test("dtable and fmt.due explain themselves in both languages", function()
  local CASES = {
    { { age = 17, level = "senior", score = 60 },
      { "rule 1 'minor': age 17 < 18", "rule 2 'manager': level is senior (one of middle, senior) and score 60 in [60, 100]" },
      { "规则1「未成年」:年龄 17 < 18", "规则2「管理人员」:级别为高层(属于middle, senior)且分数 60 在区间 [60, 100]" } },
    { { age = 30, level = "middle" },
      { "rule 3 'unscored': level is middle (not staff) and score is absent", "no rule matched: age is 30, level is middle" },
      { "规则3「未评分」:级别为中层(不是员工)且分数为未填", "没有规则适用:年龄为30,级别为中层" } },
    { { age = 30, level = "staff", due = "2026-10-09T18:00:00+08:00" },
      { "no rule matched: age is 30, level is staff",
        "2026-10-09T18:00:00+08:00 (Fri; counted)" }, -- no holidays here: tests/scripts declares no calendar
      { "没有规则适用:年龄为30,级别为员工", "10月9日(周五)18:00(counted)" } },
  }
  for _, c in ipairs(CASES) do
    local fields = { id = "p1" }
    for k, v in pairs(c[1]) do fields[k] = v end
    local d = eval("probe", fields).decisions[1]
    eq(d.reasons, c[2])
    eq(d.i18n["zh-CN"], c[3])
  end
end)
