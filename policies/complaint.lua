-- complaint.lua — complaint deadlines (document 000, rules.md §5.1–5.2 and §6.3).
--
-- 接到客户投诉后, 一个工作日内展开调查, 二个工作日内给予客户满意回复.
-- Both count from receipt, in working days of calendar.lua (docs/calendar.md): day 1 is the first
-- working day not yet begun at receipt (the receipt day counts only when received before opening), and
-- a deadline falls at the close (18:00) of the last working day. An overdue step
-- escalates (event "escalation") and costs the handler a penalty point. Investigating cancels the
-- investigation deadline; replying or closing cancels what is pending.
local INVESTIGATE_WITHIN = "1 working day"   -- 一个工作日内展开调查
local REPLY_WITHIN = "2 working days"         -- 二个工作日内给予客户满意回复
local OVERDUE_POINTS = -1

local STATUS = { open = 1, investigated = 2, replied = 3, closed = 4 }
local fmt = require "fmt"

local function overdue(step)
  return function(r, d, t)
    d:emit("escalation", { step = step, handler = r.handler, due = t.due, complaint = r.id })
    d:points(r.handler, OVERDUE_POINTS, string.format("complaint %s: %s overdue (due %s)", r.id, step, t.due))
    d:verdict("hold", string.format("%s overdue: due %s, escalated", step, t.due))
  end
end

policy {
  name = "complaint",
  type = "complaint",
  fields = {
    received_at = "datetime",
    handler = "string",
    status = enum { "open", "investigated", "replied", "closed" },
  },
  decide = function(r, d)
    local stage = STATUS[r.status]
    if stage == 1 then
      local by = d:deadline("investigate", { after = INVESTIGATE_WITHIN, from = r.received_at })
      d:because("investigate by " .. fmt.due(by, INVESTIGATE_WITHIN .. " after receipt at " .. r.received_at,
        r.received_at))
    else
      d:cancel("investigate")
    end
    if stage <= 2 then
      local by = d:deadline("reply", { after = REPLY_WITHIN, from = r.received_at })
      d:because("reply by " .. fmt.due(by, REPLY_WITHIN .. " after receipt", r.received_at))
    else
      d:cancel("reply")
      d:because("status " .. r.status .. ": nothing pending")
    end
  end,
  timers = {
    investigate = overdue("investigation"),
    reply = overdue("reply"),
  },
}
