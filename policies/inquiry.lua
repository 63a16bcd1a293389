-- inquiry.lua — inquiries are answered within 24 clock hours (document 003, rules.md §5.4; also the
-- fund company's 24-hour reply, §5.3): 能直接回复客户的应在24小时回复客户; 无法直接回复的, 应由相关业务部门在24小时内回复.
-- Clock hours, not working hours: the document says 24小时, not 工作日. Overdue → escalation event.
local ANSWER_WITHIN = "24 hours"
local fmt = require "fmt"

local MESSAGES = {
  en = {
    answered = "answered: nothing pending",
    answer_by = "answer by {due}",
    counted = "{within} after receipt, holidays included",
    late = "not answered within {within} (due {due})",
  },
  ["zh-CN"] = {
    answered = "已回复:无待办期限",
    answer_by = "回复期限:{due}",
    counted = "收到后{within|label}内,节假日照计",
    late = "未在{within|label}内回复(期限{due|date})",
  },
}

policy {
  name = "inquiry",
  type = "inquiry",
  fields = { received_at = "datetime", answered = "boolean?" },
  messages = MESSAGES,
  labels = { ["zh-CN"] = { ["24 hours"] = "24小时" } },
  decide = function(r, d)
    if r.answered then
      d:cancel("answer")
      d:because({ "answered" })
      return
    end
    local by = d:deadline("answer", { after = ANSWER_WITHIN, from = r.received_at })
    d:because({ "answer_by", due = fmt.due(by, message { "counted", within = ANSWER_WITHIN }) })
  end,
  timers = {
    answer = function(r, d, t)
      d:emit("escalation", { step = "answer", inquiry = r.id, due = t.due })
      d:verdict("hold", { "late", within = ANSWER_WITHIN, due = t.due })
    end,
  },
}
