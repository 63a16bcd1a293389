-- client_grade.lua — grades of postal big clients (广东省邮政函件大客户管理办法, document 000, rules.md §2.1).
--
-- 二、函件大客户分级标准 (年业务收入 = annual_revenue, yuan):
--   (一)钻石客户:年业务收入500万元(含500万元)以上的大客户,或者是省公司、省函件集邮局在CRM系统里注册的上游大客户。
--   (二)白金客户:年业务收入在200万元(含200万元)以上500万元以下的大客户。
--   (三)黄金客户:年业务收入在20万元(含20万元)以上200万元以下的大客户。
--   (四)VIP客户:年业务收入在1万元(含1万元)以上20万元以下的大客户,函件业务收入分组中第二、第三组的市局
--       可按此标准适当乘以0.9—0.8的系数进行评定。
-- Every lower bound is inclusive (含); each upper bound (以下) is the next grade's lower bound, so no amount
-- falls between two grades. Below 1万元 there is no grade: the field is removed.
--
-- Our reading of the coefficient (rules.md §2.1 AMBIGUOUS a–d):
--   (a) it sits inside the VIP clause (四), so it scales the VIP standard only; the other grades keep theirs;
--   (b) the text gives the range 0.9—0.8 for 第二、第三组 without a mapping: group 2 → 0.9, group 3 → 0.8,
--       in the order the text names them (data below, for a bureau to change);
--   (c) 可/适当 makes it the city bureau's option: a bureau that does not apply it sets its factor to 1;
--   (d) it multiplies the VIP lower bound (1万 × 0.8 = 8,000); the VIP upper bound (the gold floor, 20万)
--       is not scaled.
-- Group 1, or no region_group, uses the standard. Not encoded: the signed agreement and CRM registration a
-- big client needs (no fields for them), and the truncated note on 300万 and mail beyond the city.
local threshold = require "threshold"

local GRADES = threshold.tiers {
  field = "annual_revenue", label = "grade", -- 年业务收入, yuan
  { "diamond",  5000000 },   -- 钻石客户: 500万元(含500万元)以上
  { "platinum", 2000000 },   -- 白金客户: 200万元(含200万元)以上500万元以下
  { "gold",      200000 },   -- 黄金客户: 20万元(含20万元)以上200万元以下
  { "vip",        10000 },   -- VIP客户: 1万元(含1万元)以上20万元以下
}

-- 函件业务收入分组中第二、第三组的市局可按此标准适当乘以0.9—0.8的系数
local VIP_COEFFICIENT = {
  [2] = 0.9,                 -- 第二组
  [3] = 0.8,                 -- 第三组
}

-- The grades each region group uses, made once: group → { tiers, }.
local BY_GROUP = { [1] = GRADES }
for group, coefficient in pairs(VIP_COEFFICIENT) do
  BY_GROUP[group] = GRADES:scaled({ vip = coefficient }, "region group " .. group .. " coefficient")
end

policy {
  name   = "client_grade",
  type   = "client",
  fields = { annual_revenue = "number", region_group = "integer?", provincial_upstream = "boolean?" },
  decide = function(r, d)
    local group = r.region_group or 1
    local grades = BY_GROUP[group]
    if not grades then
      error(string.format("region_group must be 1, 2 or 3 (函件业务收入分组), got %d", group))
    end
    local grade, why = grades:pick(r.annual_revenue)
    if grade ~= "diamond" and r.provincial_upstream then
      -- 或者是省公司、省函件集邮局在CRM系统里注册的上游大客户
      grade, why = "diamond", "grade diamond: provincial_upstream is true " ..
        "(an upstream big client registered by the province), whatever the revenue"
    end
    d:set("grade", grade, why)
  end,
}
