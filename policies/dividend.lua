-- dividend.lua — a fund dividend run (document 002, rules.md §5.21–5.23, §6.7).
--
-- 客服部须在派息到期日前30天做客户回访工作               → return visit 30 calendar days before payout
-- 做完客户回访后5个工作日内完成投资人派息测算工作           → computation within 5 working days of the visit
-- (财务部)须在2个工作日内按照投资人打款回执单对其进行核对   → finance check within 2 working days of it
-- Each step's deadline starts when the step before is recorded done (`visited_at`, `computed_at`).
-- The visit is due at the start of its day (09:00); the others at the close of their last working day.
local VISIT_BEFORE = "-30 days"
local COMPUTE_WITHIN = "5 working days"
local CHECK_WITHIN = "2 working days"

local function late(step)
  return function(r, d, t)
    d:emit("escalation", { step = step, dividend = r.id, due = t.due })
    d:verdict("hold", step .. " overdue (due " .. t.due .. ")")
  end
end

policy {
  name = "dividend",
  type = "dividend",
  fields = { payout_date = "string", visited_at = "string?", computed_at = "string?", checked_at = "string?" },
  decide = function(r, d)
    if not r.visited_at then
      local by = d:deadline("return_visit", { after = VISIT_BEFORE, from = r.payout_date .. "T09:00" })
      d:because("return visit by " .. calendar.format(by) .. " (30 days before the payout date " .. r.payout_date .. ")")
      return
    end
    d:cancel("return_visit")
    if not r.computed_at then
      local by = d:deadline("computation", { after = COMPUTE_WITHIN, from = r.visited_at })
      d:because("dividend computation by " .. calendar.format(by) .. " (" .. COMPUTE_WITHIN .. " after the visit)")
      return
    end
    d:cancel("computation")
    if not r.checked_at then
      local by = d:deadline("finance_check", { after = CHECK_WITHIN, from = r.computed_at })
      d:because("finance check by " .. calendar.format(by) .. " (" .. CHECK_WITHIN .. " after the computation)")
      return
    end
    d:cancel("finance_check")
    d:verdict("pass", "visit, computation and finance check done")
  end,
  timers = { return_visit = late("return visit"), computation = late("computation"), finance_check = late("finance check") },
}
