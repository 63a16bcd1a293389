-- client_grade.lua — postal big-client grades (广东邮政函件大客户, document 000, rules.md §2.1).
--
-- 钻石客户:年业务收入500万元(含500万元)以上的大客户, 或者是省公司、省函件集邮局在CRM系统里注册的上游大客户
-- 白金客户:年业务收入在200万元(含200万元)以上500万元以下
-- 黄金客户:年业务收入在20万元(含20万元)以上200万元以下
-- VIP客户:年业务收入在1万元(含1万元)以上20万元以下
-- Every lower bound is inclusive (含); every upper bound is the next tier's lower bound.
--
-- Reading of the ambiguous coefficient (rules.md §2.1 AMBIGUOUS a-d): 「函件业务收入分组中第二、第三组的
-- 市局, 可按此标准适当乘以0.9—0.8的系数进行评定」 sits in the VIP clause, so it scales the VIP floor only
-- (1万) and no upper bound; group 2 uses 0.9 and group 3 uses 0.8 (the text gives the range, not the
-- mapping: a city bureau may change these numbers below). Group 1, or no group, uses the standard.
local threshold = require "threshold"

local GRADES = threshold.tiers {
  field = "annual_revenue", label = "grade",   -- yuan per year (年业务收入)
  { "diamond",  5000000 },                     -- 500万元(含)以上
  { "platinum", 2000000 },                     -- 200万元(含)以上, below 500万
  { "gold",      200000 },                     -- 20万元(含)以上, below 200万
  { "vip",        10000 },                     -- 1万元(含)以上, below 20万
}

-- VIP standard coefficient by the city bureau's revenue group (0.9—0.8 的系数)
local VIP_COEFFICIENT = {
  [2] = { 0.9, "region group 2 coefficient" },
  [3] = { 0.8, "region group 3 coefficient" },
}

policy {
  name = "client_grade",
  type = "client",
  fields = { annual_revenue = "number", region_group = "integer?", provincial_upstream = "boolean?" },
  decide = function(r, d)
    if r.provincial_upstream then
      d:set("grade", "diamond",
        "grade diamond: provincial_upstream is true (registered by the province as an upstream big client)")
      return
    end
    local coef = VIP_COEFFICIENT[r.region_group]
    local grade, why = GRADES:pick(r.annual_revenue, coef and { vip = coef })
    d:set("grade", grade, why)
  end,
}
