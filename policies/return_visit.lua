-- return_visit.lua — problems found in a phone return visit are handled and fed back within 3 working
-- days (document 002, rules.md §5.9): 在电话回访中发现的问题, 客服部应在三个工作日内处理并进行反馈.
local HANDLE_WITHIN = "3 working days"

local fmt = require "fmt"

local MESSAGES = {
  en = {
    handled = "issues handled: nothing pending",
    none = "no issues found: nothing to follow up",
    handle_by = "handle the issues and report back by {due}",
    counted = "{within} after the visit",
    late = "issues from the return visit not handled within {within}",
  },
  ["zh-CN"] = {
    handled = "问题已处理:无待办期限",
    none = "未发现问题:无需跟进",
    handle_by = "处理问题并反馈期限:{due}",
    counted = "回访后{within|label}内",
    late = "回访发现的问题未在{within|label}内处理",
  },
}

policy {
  name = "return_visit",
  type = "return_visit",
  fields = { visited_at = "datetime", issues_found = "boolean?", issues_handled = "boolean?" },
  messages = MESSAGES,
  labels = { ["zh-CN"] = { ["3 working days"] = "3个工作日" } },
  decide = function(r, d)
    if not r.issues_found or r.issues_handled then
      d:cancel("handle_issues")
      d:because({ r.issues_found and "handled" or "none" })
      return
    end
    local by = d:deadline("handle_issues", { after = HANDLE_WITHIN, from = r.visited_at })
    d:because({ "handle_by", due = fmt.due(by, message { "counted", within = HANDLE_WITHIN }, r.visited_at) })
  end,
  timers = {
    handle_issues = function(r, d, t)
      d:emit("escalation", { step = "handle_issues", visit = r.id, due = t.due })
      d:verdict("hold", { "late", within = HANDLE_WITHIN })
    end,
  },
}
