-- probe.lua — a policy for helpers_test.lua: the helpers' messages as a policy gives them, in both
-- languages (a `because` rendered with this policy's labels).
local dtable = require "dtable"
local fmt = require "fmt"

local SCREEN = dtable.new {
  hit = "collect",
  inputs = { "age", "level", "score" },
  rules = {
    { "minor", when = { age = "< 18" } },
    { "manager", when = { level = { "middle", "senior" }, score = "[60, 100]" } },
    { "unscored", when = { score = "absent", level = "~= staff" } },
  },
}
local FIRST = dtable.new { hit = "first", inputs = { "age", "level" }, rules = { { "minor", when = { age = "< 18" } } } }

policy {
  name = "probe",
  type = "probe",
  fields = { age = "integer?", level = "string?", score = "number?", due = "datetime?" },
  labels = { ["zh-CN"] = { minor = "未成年", manager = "管理人员", unscored = "未评分", age = "年龄", level = "级别",
                           score = "分数", middle = "中层", senior = "高层", staff = "员工" } },
  decide = function(r, d)
    local _, whys = SCREEN:eval(r)
    for _, why in ipairs(whys) do d:because(why) end
    local out, why = FIRST:eval(r)
    if not out then d:because(why) end
    if r.due then d:because(fmt.due(r.due, "counted", "2026-09-30T17:55:00+08:00")) end
  end,
}
