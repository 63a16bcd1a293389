-- investor_tier.lua — fund investor tiers by cumulative subscription (document 002, 第二章 1., rules.md §2.2).
--
-- 本办法适用于购买公司基金产品的
--   VIP客户【指累计认购基金份额500万以上的合格投资者】、
--   高级净值客户【指累计认购基金份额300万-500万(不含)的合格投资者】、
--   准高级净值客户【指累计认购基金份额100万-300万(不含)的合格投资者】、
--   中级净值客户【指累计认购基金份额低于100万的合格投资者】、
--   目标净值客户【指潜在的可能认购公司基金产品的合格投资者】。
-- subscribed_total is the cumulative amount subscribed (累计认购), in yuan.
--
-- Our reading at exactly 5,000,000 (rules.md §2.2 CONFLICT): chapter 2 says 500万以上, and 以上 includes
-- the number; chapter 8 says VIP客户指购买我公司基金额度累计超过500万, which would exclude it. We follow
-- chapter 2, because it is the definition the tiers are written in, and because the tier below says
-- 300万-500万(不含): under chapter 8's reading exactly 5,000,000 would belong to no tier at all.
-- (不含) makes 500万 and 300万 upper bounds exclusive, so 300万 and 100万 are inclusive lower bounds.
-- 中级 (低于100万) is anyone who has subscribed something (> 0); nothing subscribed, or no figure at all,
-- is a prospect: 目标净值客户 (target). A negative total is not a figure: an error.
-- Not encoded: 合格投资者 (qualified investor) — the documents do not give the test.
local threshold = require "threshold"

local TIERS = threshold.tiers {
  field = "subscribed_total", label = "tier", -- 累计认购基金份额, yuan
  { "vip",        5000000 },                  -- VIP客户: 500万以上
  { "high",       3000000 },                  -- 高级净值客户: 300万-500万(不含)
  { "quasi_high", 1000000 },                  -- 准高级净值客户: 100万-300万(不含)
  { "mid",        0, exclusive = true },      -- 中级净值客户: 低于100万, having subscribed something
}

local MESSAGES = {
  en = { target = "tier target: subscribed_total {total}, nothing subscribed yet (a prospect, 目标净值客户)" },
  ["zh-CN"] = { target = "目标净值客户:累计认购基金份额{total|label},尚未认购(潜在的合格投资者)" },
}
local LABELS = {
  ["zh-CN"] = {
    vip = "VIP客户", high = "高级净值客户", quasi_high = "准高级净值客户", mid = "中级净值客户",
    tier = "客户级别", subscribed_total = "累计认购基金份额", ["0"] = "为0", absent = "未填",
  },
}

policy {
  name   = "investor_tier",
  type   = "investor",
  fields = { subscribed_total = optional(number { min = 0 }) }, -- a negative total is not a figure
  messages = MESSAGES,
  labels = LABELS,
  decide = function(r, d)
    local total = r.subscribed_total
    local tier, why = TIERS:pick(total or 0)
    if tier == nil then
      -- 目标净值客户【指潜在的可能认购公司基金产品的合格投资者】
      tier, why = "target", { "target", total = total and "0" or "absent" }
    end
    d:set("tier", tier, why)
  end,
}
