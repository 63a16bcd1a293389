-- fee_form_flow.lua: the three signatures in order, each by its role; a missing one holds (视为无效 until
-- given); no level skipped; the review due at the close of working day 8; the original and the copy filed.
local workflow = require "workflow"
local merge = workflow.merge
local BASE = { id = "f1", month = "2026-10", representative = "li", statistics_form = "T1", special_fee_summary = "T2",
               actor = "li", actor_role = "sales_rep" }
local STEPS = {
  { "submitted", {} },
  { "clerk_signed", { actor_role = "sales_clerk", clerk_signature = "zhou" } },
  { "manager_signed", { actor_role = "sales_manager", manager_signature = "qian" } },
  { "finance_signed", { actor_role = "finance", finance_signature = "sun" } },
  { "filed", { original_at = "finance", copy_at = "sales" } },
}
local step, walk = workflow.walker { type = "fee_form", base = BASE, steps = STEPS, put = put, get = get }

test("three signatures in order, then filed", function()
  clock.set("2026-10-09T10:00:00+08:00")
  walk(#STEPS)
  local r = get("fee_form", "f1")
  eq({ r.state, r.clerk_signature, r.finance_signature }, { "filed", "zhou", "sun" })
end)

test("逐层检核: no level is skipped", function()
  clock.set("2026-10-09T10:00:00+08:00")
  walk(1)
  local d = step("manager_signed", STEPS[3][2])
  eq(d.explanation, "fee form f1: submitted → manager_signed is not allowed; from submitted: clerk_signed (by " ..
    "sales_clerk); state stays submitted")
end)

test("缺少任何一方签字,视为无效: a signature removed on the way holds the next level", function()
  clock.set("2026-10-09T10:00:00+08:00")
  local have = walk(3)
  local d, r = step("finance_signed", merge(have, STEPS[4][2], { clerk_signature = json.null }))
  eq(d.verdict, "hold")
  contains(d.explanation, "waits for field 'clerk_signature' (the sales_clerk's signature)")
  eq(r.state, "manager_signed")
end)

test("each level signs in its own role", function()
  clock.set("2026-10-09T10:00:00+08:00")
  walk(1)
  contains(step("clerk_signed", { clerk_signature = "li" }).explanation,
    "submitted → clerk_signed may be made by sales_clerk, not by li")
end)

test("检核在第8个工作日下班前完成: October's review is due on 16 October 18:00, then escalates", function()
  clock.set("2026-10-09T10:00:00+08:00")
  walk(2)
  -- 1–7 October are holidays: 8 Oct is day 1, Saturday 10 (make-up) day 3, Friday 16 day 8
  eq(timers("fee_form", "f1")[1].due, "2026-10-16T18:00:00+08:00")
  clock.set("2026-10-16T18:00:00+08:00")
  eq({ clock.advance("1 second"), get("fee_form", "f1").state }, { 1, "clerk_signed" })
end)

test("the original stays with finance, the copy with sales", function()
  fails(function() eval("fee_form", merge(BASE, { state = "filed", original_at = "sales" })) end,
    [[field 'original_at' must be "finance", got "sales"]])
end)
