-- sales_month.lua — monthly points of sales staff against their target and minimum (document 002,
-- 绩效考核, rules.md §3.4–3.5).
--
-- 业务人员根据个人任务总额确定每月销售最低限额和目标销售额,作为当月绩效考核量化依据。若当月无销售任务,对应无绩效工资。
-- 各项目部业务人员每超额完成目标销售额1万元加1分,每低于最低销售额1万元扣1分。
-- A record is one employee's month: employee, month ("YYYY-MM", the period of the points), sales, target
-- and minimum (yuan).
--
-- Readings (rules.md §10.7):
-- - only FULL 10,000s count (floor, not pro rata): 19,999 above the target is +1, 9,999 above is nothing;
--   the same below the minimum: 10,000 short is -1, 9,999 short is nothing;
-- - sales at or between the minimum and the target: no points;
-- - no target (若当月无销售任务,对应无绩效工资): no performance pay at all, not merely no points: the policy
--   sets performance_pay to 0, which the pay run reads (performance_pay.lua computes it for the others);
-- - a minimum above the target is not a figure: an error.
local fmt = require "fmt"

local STEP = 10000           -- 1万元
local PER_STEP_ABOVE = 1     -- 每超额完成目标销售额1万元加1分
local PER_STEP_BELOW = -1    -- 每低于最低销售额1万元扣1分

local n = fmt.number

-- Every sentence of this policy, in one place.
local SAY = {
  no_task     = "no sales target this month: no performance pay at all (若当月无销售任务,对应无绩效工资)",
  bad_minimum = "minimum %s is above target %s",
  above       = "sales %s are %s above target %s: %+d points, one per full 10,000 (每超额完成目标销售额1万元加1分)",
  above_part  = "sales %s are %s above target %s, less than a full 10,000: no points",
  below       = "sales %s are %s below minimum %s: %+d points, one per full 10,000 (每低于最低销售额1万元扣1分)",
  below_part  = "sales %s are %s below minimum %s, less than a full 10,000: no points",
  between     = "sales %s are between minimum %s and target %s: no points",
}

policy {
  name   = "sales_month",
  type   = "sales_month",
  fields = { employee = "string", month = "month", sales = "number", target = "number?", minimum = "number?" },
  decide = function(r, d)
    local sales, target, minimum, month = r.sales, r.target, r.minimum, r.month
    if target == nil then
      d:set("performance_pay", 0, SAY.no_task)
      return
    end
    if minimum ~= nil and minimum > target then
      error(string.format(SAY.bad_minimum, n(minimum), n(target)))
    end
    if sales > target then
      local over = sales - target
      local steps = math.tointeger(over // STEP)
      if steps > 0 then
        d:points(r.employee, steps * PER_STEP_ABOVE,
          string.format(SAY.above, n(sales), n(over), n(target), steps * PER_STEP_ABOVE), month)
      else
        d:because(string.format(SAY.above_part, n(sales), n(over), n(target)))
      end
    elseif minimum ~= nil and sales < minimum then
      local short = minimum - sales
      local steps = math.tointeger(short // STEP)
      if steps > 0 then
        d:points(r.employee, steps * PER_STEP_BELOW,
          string.format(SAY.below, n(sales), n(short), n(minimum), steps * PER_STEP_BELOW), month)
      else
        d:because(string.format(SAY.below_part, n(sales), n(short), n(minimum)))
      end
    else
      d:because(string.format(SAY.between, n(sales), minimum and n(minimum) or "(none)", n(target)))
    end
  end,
}
