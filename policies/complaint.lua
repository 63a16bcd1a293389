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

local MESSAGES = {
  en = {
    investigate_by = "investigate by {due}",
    reply_by = "reply by {due}",
    after_receipt_at = "{within} after receipt at {at}",
    after_receipt = "{within} after receipt",
    nothing_pending = "status {status}: nothing pending",
    overdue_points = "complaint {id}: {step} overdue (due {due})",
    overdue = "{step} overdue: due {due}, escalated",
  },
  ["zh-CN"] = {
    investigate_by = "展开调查期限:{due}",
    reply_by = "给予客户满意回复期限:{due}",
    after_receipt_at = "{at|date}接到投诉后{within|label}内",
    after_receipt = "接到投诉后{within|label}内",
    nothing_pending = "状态{status|label}:无待办期限",
    overdue_points = "投诉{id}:{step|label}逾期(期限{due|date})",
    overdue = "{step|label}逾期:期限{due|date},已升级",
  },
}
local LABELS = {
  ["zh-CN"] = {
    ["1 working day"] = "一个工作日", ["2 working days"] = "二个工作日",
    investigation = "展开调查", reply = "回复",
    open = "待调查", investigated = "已调查", replied = "已回复", closed = "已结案",
  },
}

local function overdue(step)
  return function(r, d, t)
    d:emit("escalation", { step = step, handler = r.handler, due = t.due, complaint = r.id })
    d:points(r.handler, OVERDUE_POINTS, { "overdue_points", id = r.id, step = step, due = t.due })
    d:verdict("hold", { "overdue", step = step, due = t.due })
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
  messages = MESSAGES,
  labels = LABELS,
  decide = function(r, d)
    local stage = STATUS[r.status]
    if stage == 1 then
      local by = d:deadline("investigate", { after = INVESTIGATE_WITHIN, from = r.received_at })
      d:because({ "investigate_by", due = fmt.due(by, message { "after_receipt_at", within = INVESTIGATE_WITHIN,
        at = r.received_at }, r.received_at) })
    else
      d:cancel("investigate")
    end
    if stage <= 2 then
      local by = d:deadline("reply", { after = REPLY_WITHIN, from = r.received_at })
      d:because({ "reply_by", due = fmt.due(by, message { "after_receipt", within = REPLY_WITHIN }, r.received_at) })
    else
      d:cancel("reply")
      d:because({ "nothing_pending", status = r.status })
    end
  end,
  timers = {
    investigate = overdue("investigation"),
    reply = overdue("reply"),
  },
}
