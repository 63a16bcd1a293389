-- background_check_flow.lua — the background check as a workflow (document 000, rules.md §6.1 with the
-- consent of §4.2 first; scripts/workflow.lua). Type background_check, one record per candidate's check.
--
-- 四、审查的流程 1、根据应聘岗位确定需要背景调查的内容、方式; 2、告知应聘候选人需对他/她开展背景调查;
-- 3、获得应聘候选人的各种原始信息以及所需的额外信息资源; 4、开展员工背景调查; 5、填写背景调查表;
-- 6、通过背景调查做出判断结果。
-- §4.2: 在调查之前必须通知求职者,也应该事先争得求职者本身的同意后开展; 应和被调查者事先签订《背景调查声明
-- 及授权书》。 项城 variant: ⑶、人力资源部用人部门确定背景调查的对象及采用的方式 … ⑸、汇总背景调查的信息,与拟
-- 录用者提供的应聘资料进行对比。 ⑹、确认后编制《背景调查报告》(附表一)并签署意见。提交上级领导在录用审批时做参考。
--
-- scoped → notified → consented → collecting → investigating → form_filled → reported → decided;
-- notified → consent_refused.
-- Readings:
-- - Consent first: no transition leads into collecting or investigating except from consented, and
--   consented needs consent = true and the signed 《背景调查声明及授权书》 (authorization_form).
-- - A refusal (consent = false) ends the check in consent_refused. The documents do not say what follows
--   (rules.md §4.2, §10.6): the hiring decision is a person's (candidate_screen holds such a candidate).
-- - The steps are HR's (role hr); the decision (6) is the superior's (提交上级领导): role hr_manager or the
--   person in field `superior`. The outcome is pass, fail or refer (advisory to the hiring approval: the
--   text gives no automatic rule).
-- - The documents set no deadline for a check: no state has one.
local workflow = require "workflow"

local HR = "hr"
local DECIDERS = { "hr_manager", person = "superior" }     -- 提交上级领导在录用审批时做参考

-- What each step records (absent until that step: a missing one holds the step, naming it).
local FIELDS = {
  candidate = "string?", post = "string?", content = "string?", methods = "string?", notified_at = "datetime?",
  consent = "boolean?", authorization_form = "string?", referees = "string?", check_form = "string?",
  compared = "boolean?", report = "string?", report_signed_by = "string?", superior = "string?",
  outcome = optional(enum { "pass", "fail", "refer" }),
}

local FLOW = workflow.new {
  name = "background check", type = "background_check", field = "state",
  who = { person = "actor", role = "actor_role" },
  states = {
    scoped = {}, notified = {}, consented = {}, consent_refused = {}, collecting = {}, investigating = {},
    form_filled = {}, reported = {}, decided = {},
  },
  transitions = {
    { to = "scoped", by = HR, requires = {                  -- 1、根据应聘岗位确定需要背景调查的内容、方式
      "candidate", "post", { "content", label = "what is checked (内容)" }, { "methods", label = "how (方式)" } } },
    { from = "scoped", to = "notified", by = HR,              -- 2、告知应聘候选人 (在面试时通过书面方式告知)
      requires = { { "notified_at", label = "when the candidate was told in writing" } } },
    { from = "notified", to = "consented", by = HR, requires = {
      { "consent", label = "the candidate's consent, true" },
      { "authorization_form", label = "the signed 《背景调查声明及授权书》" } } },
    { from = "notified", to = "consent_refused", by = HR,
      check = function(r) if r.consent ~= false then return "a refusal is recorded as consent = false", "hold" end end },
    { from = "consented", to = "collecting", by = HR,         -- 3、获得应聘候选人的各种原始信息
      requires = { { "referees", label = "the referees the candidate named" } } },
    { from = "collecting", to = "investigating", by = HR },   -- 4、开展员工背景调查
    { from = "investigating", to = "form_filled", by = HR,    -- 5、填写背景调查表
      requires = { { "check_form", label = "the filled 背景调查表" } } },
    { from = "form_filled", to = "reported", by = HR, requires = {   -- ⑸ 对比, ⑹ 《背景调查报告》 签署意见
      { "compared", label = "compared with the application (与应聘资料进行对比), true" },
      { "report", label = "the 《背景调查报告》" }, { "report_signed_by", label = "who signed the report" } } },
    { from = "reported", to = "decided", by = DECIDERS,       -- 6、通过背景调查做出判断结果
      requires = { { "outcome", label = "pass, fail or refer" } } },
  },
}

policy(FLOW:policy {
  name = "background_check_flow",
  doc = "The background check (document 000, §6.1): scope, notice, consent first (§4.2), check, report, decision.",
  fields = FIELDS,
  decide = function(r, d) FLOW:decide(r, d) end,
})
