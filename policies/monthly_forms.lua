-- monthly_forms.lua — the monthly client-relationship fee cycle (document 000, rules.md §5.11–5.13, §6.4):
-- 每月第3个工作日下班前, 销售代表填报上一月《月客户采购及客情费统计表》      → forms by the close of WD 3
-- 检核在第8个工作日下班前完成                                             → three-level review by the close of WD 8
-- 每月第9个工作日 … 以现金方式开始兑付上一月的客情费                        → payout on WD 9 (by its close)
-- One record per month (`month` "YYYY-MM", the month the forms are due in). The deadline of the next
-- step is set when the step before is recorded done; an overdue step escalates. The `schedule` timer
-- opens the next month's cycle: it is a schedule, re-armed each month.
local schedule = require "schedule"

local STEPS = {
  { name = "forms",  workday = 3, done = "forms_submitted", what = "forms (月客户采购及客情费统计表)" },
  { name = "review", workday = 8, done = "reviewed",        what = "three-level review" },
  { name = "payout", workday = 9, done = "paid",            what = "payout of last month's fees" },
}

policy {
  name = "monthly_forms",
  type = "monthly_forms",
  fields = { month = "month", forms_submitted = "boolean?", reviewed = "boolean?", paid = "boolean?" },
  decide = function(r, d)
    local y, m = r.month:match("^(%d%d%d%d)-(%d%d)$")
    for _, s in ipairs(STEPS) do
      if r[s.done] then
        d:cancel(s.name)
      else
        local due = calendar.nth_workday(tonumber(y), tonumber(m), s.workday)
        d:deadline(s.name, due, { step = s.what })
        d:because(string.format("%s due by %s (close of working day %d)", s.what, calendar.format(due), s.workday))
        return
      end
    end
    d:verdict("pass", "forms, review and payout done for " .. r.month)
  end,
  timers = {
    forms = function(r, d, t) d:emit("escalation", { step = t.payload.step, month = r.month, due = t.due }) end,
    review = function(r, d, t) d:emit("escalation", { step = t.payload.step, month = r.month, due = t.due }) end,
    payout = function(r, d, t) d:emit("escalation", { step = t.payload.step, month = r.month, due = t.due }) end,
  },
}

-- The schedule: a `forms_calendar` record (one per company) reminds sales on the 1st working day of
-- every month, and re-arms itself for the next month.
policy {
  name = "forms_reminder",
  type = "forms_calendar",
  decide = function(r, d)
    local next = schedule.monthly_workday(1, bylaw.now())
    d:deadline("remind", next)
    d:because("next reminder " .. calendar.format(next) .. " (first working day of the month)")
  end,
  timers = {
    remind = function(r, d, t)
      d:emit("reminder", { text = "monthly 客情费 forms are due by the close of the 3rd working day" })
      d:deadline("remind", schedule.monthly_workday(1, bylaw.now()))
    end,
  },
}
