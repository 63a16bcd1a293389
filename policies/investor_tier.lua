-- investor_tier.lua — fund investor tiers by cumulative subscription (document 002, rules.md §2.2).
--
-- VIP客户【指累计认购基金份额500万以上的合格投资者】
-- 高级净值客户【指累计认购基金份额300万-500万(不含)的合格投资者】
-- 准高级净值客户【指累计认购基金份额100万-300万(不含)】
-- 中级净值客户【指累计认购基金份额低于100万的合格投资者】
-- 目标净值客户【指潜在的可能认购公司基金产品的合格投资者】
--
-- Reading of the conflict at exactly 5,000,000 (rules.md §2.2): chapter 2 says 500万以上, which includes
-- the amount, and the next tier excludes it (500万(不含)); chapter 8 says 超过500万. We follow chapter 2:
-- 5,000,000 is VIP, so no amount falls between two tiers. Lower bounds 300万 and 100万 are inclusive
-- because the tier below excludes them. Nothing subscribed (0 or no field) is a prospect: target.
local threshold = require "threshold"

local TIERS = threshold.tiers {
  field = "subscribed_total", label = "tier",  -- yuan, cumulative (累计认购)
  { "vip",        5000000 },                   -- 500万以上
  { "high",       3000000 },                   -- 300万-500万(不含)
  { "quasi_high", 1000000 },                   -- 100万-300万(不含)
}

policy {
  name = "investor_tier",
  type = "investor",
  fields = { subscribed_total = "number?" },
  decide = function(r, d)
    local total = r.subscribed_total or 0
    if total < 0 then
      d:verdict("hold", "subscribed_total is negative (" .. total .. "): check the figure")
      return
    end
    if total == 0 then
      d:set("tier", "target", "tier target: nothing subscribed yet (目标净值客户, a prospect)")
      return
    end
    local tier, why = TIERS:pick(total)
    if tier then
      d:set("tier", tier, why)
    else
      d:set("tier", "mid", "tier mid: " .. why:gsub("^no tier: ", "") .. " and above 0 (低于100万)")
    end
  end,
}
