-- monthly_forms.lua — the monthly client-relationship fee cycle (document 000, rules.md §5.11–5.13, §6.4):
-- 每月第3个工作日下班前, 销售代表填报上一月《月客户采购及客情费统计表》      → forms by the close of WD 3
-- 检核在第8个工作日下班前完成                                             → three-level review by the close of WD 8
-- 每月第9个工作日 … 以现金方式开始兑付上一月的客情费                        → payout STARTS on WD 9
-- One record per month (`month` "YYYY-MM", the month the forms are due in). The deadline of the next
-- step is set when the step before is recorded done; an overdue form or review escalates.
-- Readings: 开始兑付 is when the payout may begin, not a completion deadline (the document gives none): once
-- the review is done, a `payout` timer at the opening of working day 9 (09:00) announces it (event
-- "payout_opens"); a payout recorded before that opening is held, as paid before its time.
-- The `schedule` timer opens the next month's cycle: it is a schedule, re-armed each month.
local schedule = require "schedule"

local STEPS = {
  { name = "forms",  workday = 3, done = "forms_submitted", what = "forms (月客户采购及客情费统计表)" },
  { name = "review", workday = 8, done = "reviewed",        what = "three-level review" },
}
local PAYOUT_WORKDAY = 9 -- 每月第9个工作日…开始兑付

-- Every sentence of this policy, in one place.
local SAY = {
  due     = "%s due by %s (close of working day %d)",
  opens   = "payout of last month's fees starts %s (opening of working day %d: 开始兑付)",
  early   = "paid is recorded before the payout may start, %s (working day %d: 开始兑付)",
  done    = "forms, review and payout done for %s",
  remind  = "monthly 客情费 forms are due by the close of the 3rd working day",
  next    = "next reminder %s (first working day of the month)",
}

-- The opening (e.g. 09:00) of the working day whose close is `close`.
local function opening(close)
  return calendar.parse(calendar.date(close) .. "T" .. calendar.info().open)
end

local function escalate(r, d, t) d:emit("escalation", { step = t.payload.step, month = r.month, due = t.due }) end

policy {
  name = "monthly_forms",
  type = "monthly_forms",
  fields = { month = "month", forms_submitted = "boolean?", reviewed = "boolean?", paid = "boolean?" },
  decide = function(r, d)
    local y, m = r.month:match("^(%d%d%d%d)-(%d%d)$")
    y, m = tonumber(y), tonumber(m)
    for _, s in ipairs(STEPS) do
      if r[s.done] then
        d:cancel(s.name)
      else
        local due = calendar.nth_workday(y, m, s.workday)
        d:deadline(s.name, due, { step = s.what })
        d:because(string.format(SAY.due, s.what, calendar.format(due), s.workday))
        return
      end
    end
    local opens = opening(calendar.nth_workday(y, m, PAYOUT_WORKDAY))
    if not r.paid then
      d:deadline("payout", opens)
      d:because(string.format(SAY.opens, calendar.format(opens), PAYOUT_WORKDAY))
      return
    end
    d:cancel("payout")
    if bylaw.now() < opens then
      d:verdict("hold", string.format(SAY.early, calendar.format(opens), PAYOUT_WORKDAY))
      return
    end
    d:verdict("pass", string.format(SAY.done, r.month))
  end,
  timers = {
    forms = escalate,
    review = escalate,
    payout = function(r, d, t) d:emit("payout_opens", { month = r.month, at = t.due }) end,
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
    d:because(string.format(SAY.next, calendar.format(next)))
  end,
  timers = {
    remind = function(r, d, t)
      d:emit("reminder", { text = SAY.remind })
      d:deadline("remind", schedule.monthly_workday(1, bylaw.now()))
    end,
  },
}
