-- info_review_flow.lua — the review of a client's registration before contract and publication as a
-- workflow (document 003 信息发布审查制度, rules.md §6.6 and §7.16; scripts/workflow.lua). Type info_review.
--
-- 1、设立信息审核管理小组,由公司总经理和专职管理人员2人组成…专职管理人员负责信息登记、整理、初审、存档,并对初审
-- 结果负责。公司总经理对登记信息进行复审。 2、…客户登记信息后应当面确认…重要证明资料必须查看原件;信息登记表格严格
-- 履行编号及存档手续:登记表格不得随意摆放。 3、专职管理人员应在客户允许的情况下,对登记信息进行初步审查…核查并
-- 详细记录。 4、…交公司总经理复审,经复审并签字后方可签订服务合同及信息发布。 5、…发现客户信息涉嫌伪造、假冒的,
-- 应向公司领导汇报,经确认确实存在伪造、假冒行为的,即将终止客户服务,并将客户列入"失信客户名单",再也不提供任何
-- 服务;情节严重涉嫌违法的,应向司法机关举报。
--
-- registered → initial_reviewed → approved (contract and publication allowed);
-- registered | initial_reviewed → suspected → blacklisted | initial_reviewed (cleared).
-- Readings:
-- - The registration administrator (role registration_admin) registers and reviews first; the GM reviews
--   again and signs (gm_signature): nothing is contracted or published before approved.
-- - 再也不提供任何服务: a client with a blacklisted review (same `client`) cannot be registered again.
-- - 经确认: a suspicion is confirmed by the GM (the company's leader on the team); one not confirmed goes
--   back to the initial review, with who cleared it. Reporting to the judicial authorities (情节严重) is a
--   person's call: `reported_to_police` is recorded, not required.
local workflow = require "workflow"

local ADMIN = "registration_admin"      -- 专职管理人员
local GM = "gm"                         -- 公司总经理

local function not_blacklisted(r)
  for _, other in ipairs(records.find("info_review", { client = r.client, state = "blacklisted" }, 1)) do
    return "client " .. r.client .. " is on the 失信客户名单 (review " .. other.id .. "): 再也不提供任何服务"
  end
end

local SUSPECT = { { "suspicion", label = "what looks forged (涉嫌伪造、假冒), reported to the leadership" } }

local FLOW = workflow.new {
  name = "info review", type = "info_review", field = "state", who = { person = "actor", role = "actor_role" },
  states = { registered = {}, initial_reviewed = {}, approved = {}, suspected = {}, blacklisted = {} },
  transitions = {
    { to = "registered", by = ADMIN, check = not_blacklisted, requires = {
      "client", { "form_number", label = "the registration form's number (编号)" },
      { "confirmed_in_person", label = "confirmed face to face (当面确认), true" },
      { "originals_seen", label = "the originals of the key documents seen (查看原件), true" } } },
    { from = "registered", to = "initial_reviewed", by = ADMIN, requires = {
      { "client_permission", label = "the client's permission to check (在客户允许的情况下), true" },
      { "verification_record", label = "what was checked where (核查并详细记录)" } } },
    { from = "initial_reviewed", to = "approved", by = GM,
      requires = { { "gm_signature", label = "the GM's signature (经复审并签字)" } } },
    { from = "registered", to = "suspected", requires = SUSPECT },
    { from = "initial_reviewed", to = "suspected", requires = SUSPECT },
    { from = "suspected", to = "blacklisted", by = GM,
      requires = { { "forgery_confirmed", label = "the forgery confirmed (经确认), true" } } },
    { from = "suspected", to = "initial_reviewed", by = GM,
      requires = { { "cleared_because", label = "why the suspicion does not stand" } } },
  },
}

policy(FLOW:policy {
  name = "info_review_flow",
  doc = "Registration review (document 003, §6.6): registered, first review, the GM's signed review; forgery blacklists.",
  fields = {   -- every one absent until its step (a missing one holds the step, naming it)
    client = "string?", form_number = "string?", confirmed_in_person = "boolean?", originals_seen = "boolean?",
    client_permission = "boolean?", verification_record = "string?", gm_signature = "string?", suspicion = "string?",
    forgery_confirmed = "boolean?", cleared_because = "string?",
  },
  decide = function(r, d) FLOW:decide(r, d) end,
})
