-- investor_tier_test.lua — every bound of investor_tier.lua just below, at and just above it.
local function tier(total)
  local out = eval("investor", { id = "i1", subscribed_total = total })
  return out.record.tier, out.decisions[1].explanation
end

test("vip at exactly 5,000,000 (500万以上 includes it, chapter 2's reading)", function()
  local t, why = tier(5000000)
  eq(t, "vip")
  eq(why, "tier vip: subscribed_total 5,000,000 >= 5,000,000")
  eq(tier(5000001), "vip")
end)

test("high just below 5,000,000 (500万(不含))", function()
  local t, why = tier(4999999)
  eq(t, "high")
  eq(why, "tier high: subscribed_total 4,999,999 >= 3,000,000")
  eq(tier(4999999.99), "high")
end)

test("high: 2,999,999 is quasi_high, 3,000,000 and 3,000,001 are high", function()
  eq(tier(2999999), "quasi_high")
  local t, why = tier(3000000)
  eq(t, "high")
  eq(why, "tier high: subscribed_total 3,000,000 >= 3,000,000")
  eq(tier(3000001), "high")
end)

test("quasi_high: 999,999 is mid, 1,000,000 and 1,000,001 are quasi_high", function()
  eq(tier(999999), "mid")
  local t, why = tier(1000000)
  eq(t, "quasi_high")
  eq(why, "tier quasi_high: subscribed_total 1,000,000 >= 1,000,000")
  eq(tier(1000001), "quasi_high")
end)

test("mid: anything subscribed below 1,000,000 (低于100万)", function()
  local t, why = tier(999999)
  eq(t, "mid")
  eq(why, "tier mid: subscribed_total 999,999 > 0")
  eq(tier(1), "mid")
  eq(tier(0.01), "mid")
end)

test("target: nothing subscribed, or no figure (目标净值客户)", function()
  local t, why = tier(0)
  eq(t, "target")
  eq(why, "tier target: subscribed_total 0, nothing subscribed yet (a prospect, 目标净值客户)")
  local out = eval("investor", { id = "i2" })
  eq(out.record.tier, "target")
  contains(out.decisions[1].explanation, "subscribed_total absent")
end)

test("a negative total is an error, not a tier", function()
  fails(function() eval("investor", { id = "i3", subscribed_total = -1 }) end,
    "field 'subscribed_total' must be a number of at least 0, got -1")
end)

test("the tier follows the total as it grows", function()
  eq(put("investor", { id = "i4", subscribed_total = 900000 }).record.tier, "mid")
  eq(put("investor", { id = "i4", subscribed_total = 5000000 }).record.tier, "vip")
  eq(get("investor", "i4").tier, "vip")
end)

test("explanations in Chinese: the tiers' names, > for an exclusive bound, the prospect", function()
  local function zh(fields) return eval("investor", fields).decisions[1].i18n["zh-CN"][1] end
  eq(zh { id = "n1", subscribed_total = 5000000 }, "VIP客户:累计认购基金份额 5,000,000 ≥ 5,000,000")
  eq(zh { id = "n1", subscribed_total = 5 }, "中级净值客户:累计认购基金份额 5 > 0")
  eq(zh { id = "n1" }, "目标净值客户:累计认购基金份额未填,尚未认购(潜在的合格投资者)")
  eq(zh { id = "n1", subscribed_total = 0 }, "目标净值客户:累计认购基金份额为0,尚未认购(潜在的合格投资者)")
end)
