-- complaint_flow.lua — complaint handling as a workflow (document 000 客户服务投诉管理制度, rules.md §6.3, with
-- the deadlines of §5.1–5.2; scripts/workflow.lua). Type complaint_handling: the `complaint` policy keeps the
-- plain status record of §5.1; this one follows the case through each hand.
--
-- 四、客户投诉处理流程 (一)接受客户投诉 1、由人事行政经理接受客户投诉…填写《客户投诉记录表》. 2、…判断客户投诉
-- 的理由是否充分…如果投诉不能成立,用婉转的方式答复客户… 3.及时将客户投诉信已传递至被投诉部门主管,通过OA发送.
-- (二) 1、部门主管调查客户投诉的具体事件及造成容户投诉的具体责任人. 2、…部门主管拟定解决投诉的具体方案
-- 3、部门主管主动、积极与客户取得联系… 4.投诉客户得到满意回复后,被投诉部门主管应填写(客户报诉记录表)通过OA发送
-- 给人事行政经理. (二)客户回访 1,人事行政经理对投诉客户进行回访,收集客户的反馈意见. 2、记录投诉事件最终处理结果,
-- 对于投诉处理过程进行总结与综合评价。 (四)资料备枯 …存档于OA系统. 五、客户投诉期限 一个工作日内展开调查,…
-- 二个工作日内给予客户满意回复。
--
-- received → closed_invalid | forwarded → investigating → plan_drafted → replied → return_visited → archived.
-- Readings:
-- - 一个工作日内展开调查: the case must be investigating within 1 working day of receipt (received_at), as
--   complaint.lua counts it (docs/calendar.md): received and forwarded are overdue at that instant.
-- - 二个工作日内给予客户满意回复: replied within 2 working days of receipt: investigating and plan_drafted
--   are overdue then. An overdue state escalates to the HR & admin manager (人事行政经理, who logs and
--   tracks complaints); the document names no one and no penalty (complaint.lua's −1 point is company
--   configuration): none here.
-- - The HR & admin manager receives, judges, forwards, visits and archives; the supervisor of the
--   department complained about (the person in field `supervisor`) investigates, plans and replies.
local workflow = require "workflow"

local INVESTIGATE_WITHIN = "1 working day"     -- 一个工作日内展开调查
local REPLY_WITHIN = "2 working days"          -- 二个工作日内给予客户满意回复
local MANAGER = "hr_admin_manager"             -- 人事行政经理
local SUPERVISOR = { person = "supervisor" }   -- 被投诉部门主管

local function within(after)
  return { deadline = { after = after, from = "received_at", escalate = MANAGER } }
end

local FLOW = workflow.new {
  name = "complaint", type = "complaint_handling", field = "state", who = { person = "actor", role = "actor_role" },
  states = {
    received = within(INVESTIGATE_WITHIN), forwarded = within(INVESTIGATE_WITHIN),
    investigating = within(REPLY_WITHIN), plan_drafted = within(REPLY_WITHIN),
    closed_invalid = {}, replied = {}, return_visited = {}, archived = {},
  },
  transitions = {
    { to = "received", by = MANAGER, requires = { { "content", label = "what the customer complains of" } } },
    { from = "received", to = "closed_invalid", by = MANAGER, requires = {
      { "invalid_reason", label = "why the complaint does not stand (投诉不能成立)" },
      { "reply", label = "the answer given to the customer (用婉转的方式答复客户)" } } },
    { from = "received", to = "forwarded", by = MANAGER,
      requires = { "department", { "supervisor", label = "the supervisor of the department complained about" } } },
    { from = "forwarded", to = "investigating", by = SUPERVISOR },
    { from = "investigating", to = "plan_drafted", by = SUPERVISOR,
      requires = { { "responsible_person", label = "具体责任人" }, { "plan", label = "解决投诉的具体方案" } } },
    { from = "plan_drafted", to = "replied", by = SUPERVISOR, requires = {
      { "satisfied", label = "the customer is satisfied (得到满意回复), true" },
      { "reply_record", label = "the 《客户投诉记录表》 sent through OA" } } },
    { from = "replied", to = "return_visited", by = MANAGER, requires = { { "feedback", label = "反馈意见" } } },
    { from = "return_visited", to = "archived", by = MANAGER,
      requires = { { "summary", label = "最终处理结果 and 总结与综合评价" } } },
  },
}

local FIELDS = {
  received_at = "datetime", content = "string?", invalid_reason = "string?", reply = "string?", department = "string?",
  supervisor = "string?", responsible_person = "string?", plan = "string?", satisfied = "boolean?",
  reply_record = "string?", feedback = "string?", summary = "string?",
}

policy(FLOW:policy {
  name = "complaint_flow",
  doc = "Complaint handling (document 000, §6.3): investigated within 1 working day, replied within 2, archived.",
  fields = FIELDS,
  decide = function(r, d) FLOW:decide(r, d) end,
})
