-- sales_month.lua: +1 per full 10,000 above target, -1 per full 10,000 below minimum.
local function points(sales)
  local out = eval("sales_month", { id = "m1", employee = "zhao", month = "2026-10", sales = sales,
    target = 100000, minimum = 60000 })
  return out.points[1] and out.points[1].points or 0, out
end

test("10,000 above target is +1; 9,999 is nothing; 19,999 is still +1", function()
  eq(points(110000), 1)
  eq(points(109999), 0)
  eq(points(119999), 1)
  eq(points(120000), 2)
end)

test("10,000 below minimum is -1; 9,999 is nothing", function()
  eq(points(50000), -1)
  eq(points(50001), 0)
  eq(points(40000), -2)
end)

test("between minimum and target, and at either bound: no points", function()
  eq(points(60000), 0)
  eq(points(100000), 0)
  eq(points(80000), 0)
end)

test("points carry the record's month and say why", function()
  local _, out = points(130000)
  eq(out.points[1].period, "2026-10")
  contains(out.points[1].reason, "by 3 full 10,000s")
end)
