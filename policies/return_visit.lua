-- return_visit.lua — problems found in a phone return visit are handled and fed back within 3 working
-- days (document 002, rules.md §5.9): 在电话回访中发现的问题, 客服部应在三个工作日内处理并进行反馈.
local HANDLE_WITHIN = "3 working days"

local fmt = require "fmt"

policy {
  name = "return_visit",
  type = "return_visit",
  fields = { visited_at = "datetime", issues_found = "boolean?", issues_handled = "boolean?" },
  decide = function(r, d)
    if not r.issues_found or r.issues_handled then
      d:cancel("handle_issues")
      d:because(r.issues_found and "issues handled: nothing pending" or "no issues found: nothing to follow up")
      return
    end
    local by = d:deadline("handle_issues", { after = HANDLE_WITHIN, from = r.visited_at })
    d:because("handle the issues and report back by " .. fmt.due(by, HANDLE_WITHIN .. " after the visit", r.visited_at))
  end,
  timers = {
    handle_issues = function(r, d, t)
      d:emit("escalation", { step = "handle_issues", visit = r.id, due = t.due })
      d:verdict("hold", "issues from the return visit not handled within " .. HANDLE_WITHIN)
    end,
  },
}
