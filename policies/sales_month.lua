-- sales_month.lua — monthly sales points (document 002, rules.md §3.4).
--
-- 每超额完成目标销售额1万元加1分,每低于最低销售额1万元扣1分
-- Reading: only FULL 10,000s count (floor): 19,999 above the target is +1. Between the minimum and the
-- target: no points. Period = the record's month.
local STEP = 10000 -- 1万元

local fmt = require "fmt"

policy {
  name = "sales_month",
  type = "sales_month",
  fields = { employee = "string", month = "string", sales = "number", target = "number", minimum = "number" },
  decide = function(r, d)
    local sales, target, minimum = r.sales, r.target, r.minimum
    if minimum > target then
      d:verdict("hold", string.format("minimum %s is above target %s: check the figures", fmt.number(minimum),
        fmt.number(target)))
      return
    end
    if sales > target then
      local n = (sales - target) // STEP
      if n > 0 then
        d:points(r.employee, math.tointeger(n), string.format("sales %s exceed target %s by %d full 10,000s",
          fmt.number(sales), fmt.number(target), n), r.month)
      else
        d:because(string.format("sales %s exceed target %s by less than 10,000: no points", fmt.number(sales),
          fmt.number(target)))
      end
    elseif sales < minimum then
      local n = (minimum - sales) // STEP
      if n > 0 then
        d:points(r.employee, -math.tointeger(n), string.format("sales %s fall short of minimum %s by %d full 10,000s",
          fmt.number(sales), fmt.number(minimum), n), r.month)
      else
        d:because(string.format("sales %s fall short of minimum %s by less than 10,000: no points",
          fmt.number(sales), fmt.number(minimum)))
      end
    else
      d:because(string.format("sales %s between minimum %s and target %s: no points", fmt.number(sales),
        fmt.number(minimum), fmt.number(target)))
    end
  end,
}
