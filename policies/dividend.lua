-- dividend.lua — a fund dividend run (document 002, rules.md §5.21–5.23, §6.7).
--
-- 客服部须在派息到期日前30天做客户回访工作               → return visit 30 calendar days before payout
-- 做完客户回访后5个工作日内完成投资人派息测算工作           → computation within 5 working days of the visit
-- (财务部)须在2个工作日内按照投资人打款回执单对其进行核对   → finance check within 2 working days of it
-- Each step's deadline starts when the step before is recorded done (`visited_at`, `computed_at`).
-- The visit is due by the end of its day (24:00: a day-counted period ends with its last day, 民法典
-- 第二百零三条), so a visit made at noon that day is on time; the others at the close (18:00) of their
-- last working day.
local VISIT_BEFORE = "-30 days"
local fmt = require "fmt"
local COMPUTE_WITHIN = "5 working days"
local CHECK_WITHIN = "2 working days"

local MESSAGES = {
  en = {
    late = "{step} overdue (due {due})",
    visit_by = "return visit by the end of {day} (30 days before the payout date {payout})",
    computation_by = "dividend computation by {due}",
    check_by = "finance check by {due}",
    after_visit = "{within} after the visit",
    after_computation = "{within} after the computation",
    done = "visit, computation and finance check done",
  },
  ["zh-CN"] = {
    late = "{step|label}逾期(期限{due|date})",
    visit_by = "回访期限:{day}当日结束前(分红日{payout}前30天)",
    computation_by = "分红测算期限:{due}",
    check_by = "财务部复核期限:{due}",
    after_visit = "回访后{within|label}内",
    after_computation = "测算后{within|label}内",
    done = "回访、测算与财务复核均已完成",
  },
}
local LABELS = {
  ["zh-CN"] = {
    ["return visit"] = "回访", computation = "分红测算", ["finance check"] = "财务部复核",
    ["5 working days"] = "5个工作日", ["2 working days"] = "2个工作日",
  },
}

local function late(step)
  return function(r, d, t)
    d:emit("escalation", { step = step, dividend = r.id, due = t.due })
    d:verdict("hold", { "late", step = step, due = t.due })
  end
end

policy {
  name = "dividend",
  type = "dividend",
  fields = { payout_date = "date", visited_at = "datetime?", computed_at = "datetime?", checked_at = "datetime?" },
  messages = MESSAGES,
  labels = LABELS,
  decide = function(r, d)
    if not r.visited_at then
      local day = calendar.add(r.payout_date, VISIT_BEFORE)
      d:deadline("return_visit", calendar.end_of_day(day))
      d:because({ "visit_by", day = calendar.date(day), payout = r.payout_date })
      return
    end
    d:cancel("return_visit")
    if not r.computed_at then
      local by = d:deadline("computation", { after = COMPUTE_WITHIN, from = r.visited_at })
      d:because({ "computation_by", due = fmt.due(by, message { "after_visit", within = COMPUTE_WITHIN }, r.visited_at) })
      return
    end
    d:cancel("computation")
    if not r.checked_at then
      local by = d:deadline("finance_check", { after = CHECK_WITHIN, from = r.computed_at })
      d:because({ "check_by", due = fmt.due(by, message { "after_computation", within = CHECK_WITHIN }, r.computed_at) })
      return
    end
    d:cancel("finance_check")
    d:verdict("pass", { "done" })
  end,
  timers = { return_visit = late("return visit"), computation = late("computation"), finance_check = late("finance check") },
}
