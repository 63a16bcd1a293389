-- inquiry.lua — inquiries are answered within 24 clock hours (document 003, rules.md §5.4; also the
-- fund company's 24-hour reply, §5.3): 能直接回复客户的应在24小时回复客户; 无法直接回复的, 应由相关业务部门在24小时内回复.
-- Clock hours, not working hours: the document says 24小时, not 工作日. Overdue → escalation event.
local ANSWER_WITHIN = "24 hours"
local fmt = require "fmt"

policy {
  name = "inquiry",
  type = "inquiry",
  fields = { received_at = "datetime", answered = "boolean?" },
  decide = function(r, d)
    if r.answered then
      d:cancel("answer")
      d:because("answered: nothing pending")
      return
    end
    local by = d:deadline("answer", { after = ANSWER_WITHIN, from = r.received_at })
    d:because("answer by " .. fmt.due(by, ANSWER_WITHIN .. " after receipt, holidays included"))
  end,
  timers = {
    answer = function(r, d, t)
      d:emit("escalation", { step = "answer", inquiry = r.id, due = t.due })
      d:verdict("hold", "not answered within " .. ANSWER_WITHIN .. " (due " .. t.due .. ")")
    end,
  },
}
