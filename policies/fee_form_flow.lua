-- fee_form_flow.lua — the signatures of the monthly client-relationship fee forms as a workflow (document
-- 000 客户关系维护费, rules.md §6.4 and §7.11; scripts/workflow.lua). Type fee_form: one record per sales
-- representative and month; monthly_forms keeps the month's calendar of the cycle.
--
-- 第二条 1、每月第3个工作日下班前,销售代表填报上一月《月客户采购及客情费统计表》…和《月新客户特殊费用申请汇总表》
-- …交销售文员。 2、销售文员、销售部经理、财务部逐层检核…(缺少任何一方签字,视为无效)。检核在第8个工作日下班前完成。
-- 3、检核签字后的…原件留存财务部,复印件留档销售部。
--
-- submitted → clerk_signed → manager_signed → finance_signed → filed.
-- Readings:
-- - 逐层检核: the three sign in this order, each in their role, each with their signature; no level is
--   skipped, so a form reaching finance_signed carries all three (缺少任何一方签字,视为无效: one that lacks
--   one never gets there, and is held naming the missing signature).
-- - 检核在第8个工作日下班前完成: every state before finance_signed is overdue at the close of working day 8
--   of `month` (the month the forms are filed in) and escalates to the sales manager.
-- - filed needs where the original (finance) and the copy (sales) are kept.
local workflow = require "workflow"

local REVIEW_BY_WORKDAY = 8                     -- 检核在第8个工作日下班前完成

local function review_due(r)
  local y, m = r.month:match("^(%d+)-(%d+)$")
  return calendar.nth_workday(tonumber(y), tonumber(m), REVIEW_BY_WORKDAY)
end
local REVIEW = { deadline = { at = review_due, escalate = "sales_manager" } }

local SIGNATURES = {   -- 销售文员、销售部经理、财务部逐层检核
  { "clerk_signed", "sales_clerk", "clerk_signature" },
  { "manager_signed", "sales_manager", "manager_signature" },
  { "finance_signed", "finance", "finance_signature" },
}

local transitions = {
  { to = "submitted", by = "sales_rep", requires = {
    "representative", { "statistics_form", label = "《月客户采购及客情费统计表》" },
    { "special_fee_summary", label = "《月新客户特殊费用申请汇总表》" } } },
  { from = "finance_signed", to = "filed", requires = {
    { "original_at", label = "where the original is kept: finance (原件留存财务部)" },
    { "copy_at", label = "where the copy is kept: sales (复印件留档销售部)" } } },
}
local from, required = "submitted", {}
for _, s in ipairs(SIGNATURES) do
  required[#required + 1] = { s[3], label = "the " .. s[2] .. "'s signature" }
  transitions[#transitions + 1] = { from = from, to = s[1], by = s[2], requires = table.move(required, 1, #required, 1, {}) }
  from = s[1]
end

local FLOW = workflow.new {
  name = "fee form", type = "fee_form", field = "state", who = { person = "actor", role = "actor_role" },
  states = { submitted = REVIEW, clerk_signed = REVIEW, manager_signed = REVIEW, finance_signed = {}, filed = {} },
  transitions = transitions,
}

policy(FLOW:policy {
  name = "fee_form_flow",
  doc = "Client-relationship fee forms (document 000, §6.4, §7.11): three signatures in order by working day 8.",
  fields = {
    month = "month", representative = "string?", statistics_form = "string?", special_fee_summary = "string?",
    clerk_signature = "string?", manager_signature = "string?", finance_signature = "string?",
    original_at = optional(enum { "finance" }), copy_at = optional(enum { "sales" }),
  },
  decide = function(r, d) FLOW:decide(r, d) end,
})
