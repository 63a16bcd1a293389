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
--   (b) the text gives the range 0.9—0.8 for 第二、第三组 without a mapping: by default group 2 → 0.9,
--       group 3 → 0.8, in the order the text names them (GROUP_COEFFICIENT below);
--   (c) 可…适当 makes it each city bureau's option: BUREAU_COEFFICIENT lists the bureaus that chose
--       otherwise, by the record's `bureau` field — a factor from 0.8 to 0.9, or 1 for a bureau that does not
--       apply it; a bureau not listed uses its region group's default. The option is the 第二、第三组
--       bureaus' only: in group 1 (or without region_group) every bureau uses the standard;
--   (d) it multiplies the VIP lower bound (1万 × 0.8 = 8,000); the VIP upper bound (the gold floor, 20万)
--       is not scaled.
-- Not encoded: the signed agreement and CRM registration a big client needs (no fields for them), and the
-- truncated note on 300万 and mail beyond the city.
local threshold = require "threshold"

local GRADES = threshold.tiers {
  field = "annual_revenue", label = "grade", -- 年业务收入, yuan
  { "diamond",  5000000 },   -- 钻石客户: 500万元(含500万元)以上
  { "platinum", 2000000 },   -- 白金客户: 200万元(含200万元)以上500万元以下
  { "gold",      200000 },   -- 黄金客户: 20万元(含20万元)以上200万元以下
  { "vip",        10000 },   -- VIP客户: 1万元(含1万元)以上20万元以下
}

-- 函件业务收入分组中第二、第三组的市局可按此标准适当乘以0.9—0.8的系数: each group's default
local GROUP_COEFFICIENT = {
  [2] = 0.9,                 -- 第二组
  [3] = 0.8,                 -- 第三组
}

-- The bureaus (of groups 2 and 3) that chose their own factor (可…适当). Illustrative entries: each bureau
-- writes its own choice here.
local BUREAU_COEFFICIENT = {
  ["韶关市局"] = 0.85,
  ["河源市局"] = 1,          -- does not apply the coefficient
}

local MESSAGES = {
  en = {
    group_note = "region group {group} coefficient",
    bureau_note = "{bureau}'s coefficient",
    bureau_declines = "{bureau} does not apply the coefficient",
    upstream = "grade diamond: provincial_upstream is true (an upstream big client registered by the province), " ..
      "whatever the revenue",
  },
  ["zh-CN"] = {
    group_note = "第{group}组系数",
    bureau_note = "{bureau}的系数",
    bureau_declines = "{bureau}不适用系数",
    upstream = "钻石客户:省公司、省函件集邮局在CRM系统里注册的上游大客户,不论年业务收入",
  },
}

local LABELS = {
  ["zh-CN"] = {
    diamond = "钻石客户", platinum = "白金客户", gold = "黄金客户", vip = "VIP客户",
    grade = "客户等级", annual_revenue = "年业务收入",
  },
}

-- The grades each region group uses, and each listed bureau, made once: scaled tiers and, for a bureau
-- that declines, the reason to add.
local BY_GROUP = { [1] = GRADES }
for group, coefficient in pairs(GROUP_COEFFICIENT) do
  BY_GROUP[group] = GRADES:scaled({ vip = coefficient }, message { "group_note", group = group })
end
local BY_BUREAU = {}
for bureau, coefficient in pairs(BUREAU_COEFFICIENT) do
  if coefficient == 1 then
    BY_BUREAU[bureau] = { GRADES, { "bureau_declines", bureau = bureau } }
  elseif coefficient >= 0.8 and coefficient <= 0.9 then
    BY_BUREAU[bureau] = { GRADES:scaled({ vip = coefficient }, message { "bureau_note", bureau = bureau }) }
  else
    error(string.format("BUREAU_COEFFICIENT[%q] = %s: a factor from 0.8 to 0.9 (0.9—0.8), or 1",
      bureau, coefficient))
  end
end

policy {
  name   = "client_grade",
  type   = "client",
  fields = { annual_revenue = "number", region_group = "integer?", provincial_upstream = "boolean?",
             bureau = "string?" },
  messages = MESSAGES,
  labels = LABELS,
  decide = function(r, d)
    local group = r.region_group or 1
    local grades, declines = BY_GROUP[group], nil
    if not grades then
      error(string.format("region_group must be 1, 2 or 3 (函件业务收入分组), got %d", group))
    end
    local own = group ~= 1 and BY_BUREAU[r.bureau]
    if own then grades, declines = own[1], own[2] end
    local grade, why = grades:pick(r.annual_revenue)
    if grade ~= "diamond" and r.provincial_upstream then
      -- 或者是省公司、省函件集邮局在CRM系统里注册的上游大客户
      grade, why = "diamond", { "upstream" }
    end
    d:set("grade", grade, why)
    if declines then d:because(declines) end
  end,
}
