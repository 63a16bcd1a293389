-- training_flow.lua — external training as a workflow (document 002, rules.md §6.13, §5.38–5.42, §3.12, §8.7;
-- scripts/workflow.lua). Type training, one record per employee and course.
--
-- BY 员工外出培训管理制度: 第五条 培训计划执行时,所属各部门需按计划提前15天向公司人力资源部申请…若因工作需要,
-- …临时选派员工外出培训时,需提前7天向公司人力资源部以书面形式提出申请,依照规定的审批权限和程序逐级办理,最后经
-- 总经理核准方可生效。 第六条 …应事先填写《BY员工外出培训申请审批表》。
-- 亿利 员工外出培训管理办法: 3.2出国培训或者国内培训超过5万元的需报沙漠生态集团总裁审批。 5.2…在参训前做好工作交接。
-- 5.4…学习回来30日内,将学到的经验…在本公司组织相关人员进行交流…对未进行经验交流的单位或部门在当月绩效考核中予以
-- 扣分。 6.1…培训费用报销时必须凭正规发票、外出培训审批单,和…培训收获分享总结等申请报销。 7.1员工外出培训前一周,
-- 需与公司续签劳动合同。
--
-- applied → approved | refused; approved → attending → returned → shared → reimbursed.
-- Readings:
-- - 提前15天 / 提前7天: applied at the latest on the day 15 (planned) or 7 (ad hoc) calendar days before
--   starts_on; a later application is refused unless a person accepts it (late_accepted_by, 特殊批准).
-- - Who approves: 最后经总经理核准 is written for ad-hoc training; a planned course was approved with the
--   year's plan (经审后,统一纳入…年度员工培训计划), so HR's manager approves it (rules.md §6.13 AMBIGUOUS):
--   APPROVER below, data.
-- - 超过5万元: above 50,000 (50,000 itself is not), or any training abroad, needs the group president's
--   approval (president_approval). The two documents are two companies' rules; both are applied.
-- - 前一周: the contract renewed on or before starts_on − 7 days, and the work handed over, before attending.
-- - 30日内: shared by the end of the 30th day after returned_on; otherwise the returned state is overdue
--   and escalates to HR. The deduction (予以扣分) has no figure: no points.
local workflow = require "workflow"
local fmt = require "fmt"

local AHEAD_DAYS = { planned = 15, ad_hoc = 7 }         -- 提前15天 / 提前7天
local APPROVER = { planned = "hr_manager", ad_hoc = "gm" }
local PRESIDENT_ABOVE = 50000                           -- 国内培训超过5万元
local RENEW_DAYS_BEFORE = 7                             -- 培训前一周续签劳动合同
local SHARE_WITHIN = "30 days"                          -- 学习回来30日内

local DAY = 86400
local function day(date) return calendar.parse(date .. "T12:00") end
local function days_between(a, b) return math.floor((day(b) - day(a)) / DAY + 0.5) end

local function in_time(r)
  local today = calendar.format(bylaw.now()):sub(1, 10)
  local ahead = AHEAD_DAYS[r.kind]
  if days_between(today, r.starts_on) < ahead and not r.late_accepted_by then
    return string.format("applied on %s, %d days before %s; %s training is applied for %d days ahead " ..
      "(or a person accepts it: late_accepted_by)", today, days_between(today, r.starts_on), r.starts_on, r.kind, ahead)
  end
end

local function renewed(r)
  if r.contract_renewed_on and days_between(r.contract_renewed_on, r.starts_on) < RENEW_DAYS_BEFORE then
    return "contract_renewed_on " .. r.contract_renewed_on .. " is less than a week before " .. r.starts_on
  end
end

local function needs_president(r) return r.abroad or r.cost > PRESIDENT_ABOVE end

local FLOW = workflow.new {
  name = "training", type = "training", field = "state", who = { person = "actor", role = "actor_role" },
  states = {
    applied = {}, approved = {}, refused = {}, attending = {}, shared = {}, reimbursed = {},
    returned = { deadline = { escalate = "hr", at = function(r)
      return calendar.end_of_day((calendar.add(day(r.returned_on), SHARE_WITHIN)))
    end } },
  },
  transitions = {
    { to = "applied", check = in_time, requires = {
      "employee", { "application_form", label = "《BY员工外出培训申请审批表》" },
      { "written_application", label = "the written application (书面形式)", note = "ad-hoc training",
        when = function(r) return r.kind == "ad_hoc" end } } },
    { from = "applied", to = "approved", by = function(r) return APPROVER[r.kind] end, requires = {
      { "president_approval", label = "the group president's approval (集团总裁审批)",
        note = fmt.around("abroad, or above ", PRESIDENT_ABOVE, ""), when = needs_president } } },
    { from = "applied", to = "refused", by = function(r) return APPROVER[r.kind] end,
      requires = { { "refusal_reason", label = "why" } } },
    { from = "approved", to = "attending", check = renewed, requires = {
      { "handover_done", label = "the work handed over (工作交接), true" },
      { "contract_renewed_on", label = "the date the labour contract was renewed (前一周续签)" } } },
    { from = "attending", to = "returned", requires = { "returned_on" } },
    { from = "returned", to = "shared", requires = { { "sharing_record", label = "时间、地点、参加人员、学习内容" } } },
    { from = "shared", to = "reimbursed", by = "finance", requires = { { "invoice", label = "正规发票" } } },
  },
}

local FIELDS = {
  employee = "string?", kind = enum { "planned", "ad_hoc" }, starts_on = "date", cost = number { min = 0 },
  abroad = "boolean?", application_form = "string?", written_application = "string?", late_accepted_by = "string?",
  president_approval = "string?", refusal_reason = "string?", handover_done = "boolean?",
  contract_renewed_on = "date?", returned_on = "date?", sharing_record = "string?", invoice = "string?",
}

policy(FLOW:policy {
  name = "training_flow",
  doc = "External training (document 002, §6.13): applied ahead, approved, attended, shared in 30 days, reimbursed.",
  fields = FIELDS,
  decide = function(r, d) FLOW:decide(r, d) end,
})
