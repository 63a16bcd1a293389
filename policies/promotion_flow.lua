-- promotion_flow.lua — promotion as a workflow (document 002 员工晋升, rules.md §6.14, §3.13, §5.43;
-- scripts/workflow.lua). Type promotion, one record per employee and promotion.
--
-- 七、员工晋升条件 1、在公司定期进行的员工360度考评中连续两次得分位于前三名的。 2、在现有岗位工作半年以上的。
-- 八、员工变岗、晋升的,需经历3个月的试用期,若试用不合格的,延长试用期或退回原岗位,试用期最长不超过6个月。
-- 九、晋升审批权限 1、所有员工晋升须经公司领导核准有效。 2、主管以上职位的变动须经山东区审批后有效。
-- 纵向发展阶梯: 普通员工——班长——部门助理——部门主管——部门副经理——部门经理——总经理助理——副总经理——总经理。
--
-- proposed → approved | declined; approved → on_trial → confirmed | extended | reverted; extended →
-- confirmed | reverted.
-- Readings:
-- - The two conditions are numbered without 或 or 且 (rules.md §3.13 AMBIGUOUS): both are required (AND),
--   REQUIRE_BOTH below. 连续两次 前三名: top3_streak, the number of the latest 360° reviews in a row in the top
--   3, is at least 2. 半年以上: months_in_post at least 6 (以上 includes the number).
-- - 主管以上: 部门主管 and every rung above it (LADDER from supervisor on) also need the region's approval.
-- - The trial ends 3 months after effective_on (its end of day); the trial state is then overdue and
--   escalates to HR, who confirms, extends or reverts. An extension ends at the latest 6 months after
--   effective_on (最长不超过6个月).
local workflow = require "workflow"

local LADDER = { "staff", "team_leader", "department_assistant", "supervisor", "deputy_department_manager",
                 "department_manager", "gm_assistant", "deputy_gm", "gm" }   -- 纵向发展阶梯
local REGION_FROM = "supervisor"       -- 主管以上职位的变动须经山东区审批
local MIN_TOP3_STREAK = 2              -- 连续两次得分位于前三名
local MIN_MONTHS = 6                   -- 在现有岗位工作半年以上
local REQUIRE_BOTH = true              -- AND (false: either condition)
local TRIAL = "3 months"               -- 需经历3个月的试用期
local TRIAL_MAX = "6 months"           -- 试用期最长不超过6个月

local RANK = {}
for i, l in ipairs(LADDER) do RANK[l] = i end

local function day(date) return calendar.parse(date .. "T12:00") end
local function after(date, span) return calendar.end_of_day((calendar.add(day(date), span))) end

local function eligible(r)
  local top = r.top3_streak >= MIN_TOP3_STREAK
  local long = r.months_in_post >= MIN_MONTHS
  if (REQUIRE_BOTH and top and long) or (not REQUIRE_BOTH and (top or long)) then return end
  return string.format("not eligible: top3_streak %d (at least %d: 连续两次前三名) and months_in_post %s " ..
    "(at least %d: 半年以上) are both required", r.top3_streak, MIN_TOP3_STREAK, r.months_in_post, MIN_MONTHS)
end

local function within_max(r)
  if r.trial_until and day(r.trial_until) > after(r.effective_on, TRIAL_MAX) then
    return "trial_until " .. r.trial_until .. " is past 6 months from effective_on " .. r.effective_on ..
      " (试用期最长不超过6个月)"
  end
end

local function confirm(from) return { from = from, to = "confirmed", by = "hr" } end
local function revert(from)
  return { from = from, to = "reverted", by = "hr", requires = { { "trial_result", label = "why the trial failed" } } }
end

local FLOW = workflow.new {
  name = "promotion", type = "promotion_request", field = "state", who = { person = "actor", role = "actor_role" },
  states = {
    proposed = {}, approved = {}, declined = {}, confirmed = {}, reverted = {},
    on_trial = { deadline = { escalate = "hr", at = function(r) return after(r.effective_on, TRIAL) end } },
    extended = { deadline = { escalate = "hr", at = function(r) return r.trial_until and day(r.trial_until) end } },
  },
  transitions = {
    { to = "proposed", check = eligible, requires = { "employee" } },
    { from = "proposed", to = "approved", by = "leadership", requires = {
      { "leadership_approval", label = "公司领导核准" },
      { "region_approval", label = "山东区审批", note = "supervisor (主管) and above",
        when = function(r) return RANK[r.to_level] >= RANK[REGION_FROM] end } } },
    { from = "proposed", to = "declined", by = "leadership", requires = { { "decline_reason", label = "why" } } },
    { from = "approved", to = "on_trial", by = "hr" },
    confirm("on_trial"), revert("on_trial"),
    { from = "on_trial", to = "extended", by = "hr", check = within_max,
      requires = { { "trial_until", label = "the date the extended trial ends" } } },
    confirm("extended"), revert("extended"),
  },
}

local FIELDS = {
  employee = "string?", to_level = enum(LADDER), top3_streak = integer { min = 0 }, months_in_post = number { min = 0 },
  leadership_approval = "string?", region_approval = "string?", decline_reason = "string?", effective_on = "date",
  trial_until = "date?", trial_result = "string?",
}

policy(FLOW:policy {
  name = "promotion_flow",
  doc = "Promotion (document 002, §6.14): eligible, approved (the region from supervisor up), 3-month trial.",
  fields = FIELDS,
  decide = function(r, d) FLOW:decide(r, d) end,
})
