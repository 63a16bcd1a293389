-- Boundaries of investor_tier.lua.
local function tier(total)
  local out = eval("investor", { id = "i1", subscribed_total = total })
  return out.record.tier, out.decisions[1].explanation
end

test("vip at exactly 5,000,000 (500万以上 includes it)", function()
  local t, why = tier(5000000)
  eq(t, "vip")
  eq(why, "tier vip: subscribed_total 5,000,000 >= 5,000,000")
end)

test("high just below 5,000,000 (500万(不含)) and at exactly 3,000,000", function()
  eq(tier(4999999.99), "high")
  eq(tier(3000000), "high")
end)

test("quasi_high just below 3,000,000 and at exactly 1,000,000", function()
  eq(tier(2999999), "quasi_high")
  eq(tier(1000000), "quasi_high")
end)

test("mid below 1,000,000 and above 0", function()
  local t, why = tier(999999)
  eq(t, "mid")
  eq(why, "tier mid: subscribed_total 999,999 < 1,000,000 and above 0 (低于100万)")
  eq(tier(0.01), "mid")
end)

test("target when nothing is subscribed", function()
  eq(tier(0), "target")
  local out = eval("investor", { id = "i2" })
  eq(out.record.tier, "target")
end)

test("a negative total is held, not graded", function()
  local out = eval("investor", { id = "i3", subscribed_total = -1 })
  eq(out.decisions[1].verdict, "hold")
  eq(out.record.tier, nil)
end)
