-- outing_flow.lua — outing approval as a workflow (document 002, rules.md §6.12, §5.35, §5.37; scripts/workflow.lua).
--
-- 公务外出管理办法: 预计外出前,需在前一天下午17:30点前至综合办公室进行登记,认真填写《员工外出申请单》,
-- 报本部门负责人签字批准后并交至前台文员备案方可外出办理公司业务。若部门负责人不在公司,应由部门负责人指定
-- 人员代理审核。外出人员返回后由前台文员按照实际到达公司时间记录。出席会议的办事人员,返回公司后需提交会议
-- 资料…;参加外部专业培训的人员,培训完毕需提供参加培训相关资料。
-- 关于公司员工外出办事的管理规定 (Guangdong): 经部门副经理以上人员签字确认后,方可外出工作; 预计返回时间应设定
-- 在下班时间前; 临时外出的核准权限: 普通员工:由部门经理批示。部门经理:由副总经理或总经理批准,副总经理不在由
-- 办公室主任批准。
--
-- requested → approved | refused; approved → out → returned → closed.
-- Readings:
-- - 前一天下午17:30点前: before 17:30 (17:30 itself is late) of the working day before the outing (the
--   register is at the office, open on working days: a Monday outing registers by Friday 17:30). A late
--   request is refused unless it is an emergency (urgent = true: 因紧急突发事件, the employee phones
--   the department head; the 补卡 paperwork of that case is not modelled).
-- - 下班时间前: the expected return is on the outing day, before its close (18:00 of calendar.lua).
-- - A staff member's outing is signed by the department manager, a deputy department manager (部门副经理
--   以上), or the person the head named (field `delegate`); a department manager's by a deputy GM or the
--   GM, or the office director when the deputy GM is away (deputy_gm_absent = true).
-- - Not returned by the expected time: the `out` state is overdue and escalates to the office director
--   (如…不能在预估时间内返回者,应电话报告经理).
local workflow = require "workflow"

local CUTOFF = "17:30"                           -- 前一天下午17:30点前
local APPROVERS = {
  staff = { "department_manager", "deputy_department_manager", person = "delegate" },   -- 普通员工:由部门经理批示
  department_manager = { "deputy_gm", "gm" },                                         -- 部门经理:由副总经理或总经理批准
}
local MATERIALS_FOR = { meeting = "meeting materials (会议资料)", training = "training materials (参加培训相关资料)" }

local function approvers(r)
  local by = APPROVERS[r.employee_level]
  if r.employee_level == "department_manager" and r.deputy_gm_absent then
    by = { "deputy_gm", "gm", "office_director" }                                     -- 副总经理不在由办公室主任批准
  end
  return by
end

-- 17:30 on the working day before the outing date.
local function cutoff(date)
  local t = calendar.parse(date .. "T12:00")
  repeat t = t - 86400 until calendar.is_workday(t)
  return calendar.parse(calendar.format(t):sub(1, 10) .. "T" .. CUTOFF)
end

local function on_time(r)
  local by = cutoff(r.outing_date)
  if bylaw.now() >= by and not r.urgent then
    return "registered at " .. calendar.format(bylaw.now()) .. ", not before " .. calendar.format(by) ..
      " (17:30 of the working day before the outing); an emergency outing says urgent = true"
  end
  local back = calendar.parse(r.expected_return)
  if calendar.format(back):sub(1, 10) ~= r.outing_date or back >= calendar.close_of(r.outing_date .. "T09:00") then
    return "expected_return " .. r.expected_return .. " must be on " .. r.outing_date .. " before closing time"
  end
end

local FLOW = workflow.new {
  name = "outing", type = "outing_request", field = "state", who = { person = "actor", role = "actor_role" },
  states = {
    requested = {}, approved = {}, refused = {}, returned = {}, closed = {},
    out = { deadline = { at = "expected_return", escalate = "office_director" } },
  },
  transitions = {
    { to = "requested", check = on_time, requires = { "employee", "destination" } },
    { from = "requested", to = "approved", by = approvers,
      requires = { { "approver_signature", label = "the approver's signature on 《员工外出申请单》" } } },
    { from = "requested", to = "refused", by = approvers, requires = { { "refusal_reason", label = "why" } } },
    { from = "approved", to = "out", by = "front_desk" },                               -- 交至前台文员备案方可外出
    { from = "out", to = "returned", by = "front_desk",
      requires = { { "returned_at", label = "the actual time back (按照实际到达公司时间记录)" } } },
    { from = "returned", to = "closed",
      requires = { { "materials", label = "what the outing brought back", note = "a meeting or a training",
                     when = function(r) return MATERIALS_FOR[r.purpose] ~= nil end } } },
  },
}

policy(FLOW:policy {
  name = "outing_flow",
  doc = "Outing approval (document 002, §6.12): registered by 17:30 the working day before, signed, filed, back.",
  fields = {
    employee = "string?", destination = optional(string(200)), employee_level = enum { "staff", "department_manager" },
    outing_date = "date", expected_return = "datetime",
    purpose = enum { "business", "meeting", "training", "other" },
    urgent = "boolean?", delegate = "string?", deputy_gm_absent = "boolean?", approver_signature = "string?",
    refusal_reason = "string?", returned_at = "datetime?", materials = "string?",
  },
  decide = function(r, d) FLOW:decide(r, d) end,
})
