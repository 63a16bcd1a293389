-- training_flow.lua: 15 and 7 days ahead at their boundary, who approves planned and ad-hoc training, the
-- president above 50,000 or abroad, the contract renewed a week before, sharing within 30 days.
local workflow = require "workflow"
local merge = workflow.merge
local BASE = { id = "t1", employee = "li", kind = "planned", starts_on = "2026-11-16", cost = 8000,
               application_form = "form-9", actor = "li" }
local STEPS = {
  { "applied", {} },
  { "approved", { actor_role = "hr_manager" } },
  { "attending", { handover_done = true, contract_renewed_on = "2026-11-09" } },
  { "returned", { returned_on = "2026-11-20" } },
  { "shared", { sharing_record = "talk on 2026-12-01, 12 people" } },
  { "reimbursed", { actor_role = "finance", invoice = "INV-1" } },
}
local step, walk = workflow.walker { type = "training", base = BASE, steps = STEPS, put = put, get = get }

test("a planned course from application to reimbursement", function()
  clock.set("2026-11-01T10:00:00+08:00")
  walk(#STEPS)
  eq(get("training", "t1").state, "reimbursed")
end)

test("提前15天: a planned course starting 16 November is applied for by 1 November", function()
  clock.set("2026-11-01T23:59:00+08:00")
  eq(step("applied").verdict, "pass")
  clock.set("2026-11-02T00:00:00+08:00")
  local d, r = step("applied", { id = "t2" })
  eq(d.verdict, "reject")
  eq(d.explanation, "training t2: (new) → applied refused: applied on 2026-11-02, 14 days before 2026-11-16; " ..
    "planned training is applied for 15 days ahead (or a person accepts it: late_accepted_by); nothing is stored as its state")
  eq(r.state, nil)
  eq(step("applied", { id = "t3", late_accepted_by = "hr head" }).verdict, "pass")
end)

test("提前7天, in writing: ad-hoc training by 9 November, with the written application", function()
  clock.set("2026-11-09T10:00:00+08:00")
  local d = step("applied", { kind = "ad_hoc" })
  eq(d.verdict, "hold")
  contains(d.explanation, "waits for field 'written_application' (the written application (书面形式)); ad-hoc training")
  eq(step("applied", { kind = "ad_hoc", written_application = "memo" }).verdict, "pass")
  clock.set("2026-11-10T10:00:00+08:00")
  eq(step("applied", { id = "t4", kind = "ad_hoc", written_application = "memo" }).verdict, "reject")
end)

test("who approves: HR's manager for a planned course, the GM for ad-hoc training (最后经总经理核准)", function()
  clock.set("2026-11-01T10:00:00+08:00")
  walk(1)
  local d = step("approved", { actor_role = "gm" })
  contains(d.explanation, "applied → approved may be made by hr_manager, not by li")
  walk(1, { id = "a1", kind = "ad_hoc", written_application = "memo" })
  d = step("approved", { id = "a1", kind = "ad_hoc", written_application = "memo", actor_role = "hr_manager" })
  eq(d.verdict, "reject")
  d = step("approved", { id = "a1", kind = "ad_hoc", written_application = "memo", actor_role = "gm" })
  eq(d.verdict, "pass")
end)

test("超过5万元: 50,000 needs no president, 50,000.01 does, and so does training abroad", function()
  clock.set("2026-11-01T10:00:00+08:00")
  for i, case in ipairs { { 50000, nil, "pass" }, { 50000.01, nil, "hold" }, { 100, true, "hold" } } do
    local id = "p" .. i
    walk(1, { id = id, cost = case[1], abroad = case[2] })
    local d = step("approved", { id = id, cost = case[1], abroad = case[2], actor_role = "hr_manager" })
    eq(d.verdict, case[3], id)
    if case[3] == "hold" then
      contains(d.explanation, "waits for field 'president_approval' (the group president's approval (集团总裁审批)); " ..
        "abroad, or above 50,000")
    end
  end
end)

test("a refusal needs its reason and ends the course", function()
  clock.set("2026-11-01T10:00:00+08:00")
  walk(1)
  eq(step("refused", { actor_role = "hr_manager" }).verdict, "hold")
  local _, r = step("refused", { actor_role = "hr_manager", refusal_reason = "budget" })
  eq(r.state, "refused")
end)

test("前一周续签劳动合同: renewed on 9 November for a course on the 16th, not on the 10th; work handed over", function()
  clock.set("2026-11-01T10:00:00+08:00")
  local have = walk(2)
  local d = step("attending", merge(have, { handover_done = true, contract_renewed_on = "2026-11-10" }))
  eq(d.verdict, "reject")
  contains(d.explanation, "contract_renewed_on 2026-11-10 is less than a week before 2026-11-16")
  d = step("attending", merge(have, { contract_renewed_on = "2026-11-09" }))
  contains(d.explanation, "waits for field 'handover_done'")
  eq(step("attending", merge(have, { handover_done = true, contract_renewed_on = "2026-11-09" })).verdict, "pass")
end)

test("学习回来30日内: back on 20 November, shared by the end of 20 December; later escalates", function()
  clock.set("2026-11-01T10:00:00+08:00")
  walk(3)
  clock.set("2026-11-20T18:00:00+08:00")
  local _, _, o = step("returned", merge(STEPS[3][2], { returned_on = "2026-11-20" }))
  eq(o.deadlines[1].name, "returned")
  eq(o.deadlines[1].due, "2026-12-21T00:00:00+08:00")
  clock.set("2026-12-20T23:59:59+08:00")
  eq(clock.advance("1 second"), 1)
  eq(get("training", "t1").state, "returned")
end)

test("reimbursement is finance's and needs the invoice (正规发票)", function()
  clock.set("2026-11-01T10:00:00+08:00")
  local have = walk(5)
  local d = step("reimbursed", merge(have, { actor_role = "finance" }))
  contains(d.explanation, "waits for field 'invoice' (正规发票)")
  d = step("reimbursed", merge(have, { invoice = "INV" }))
  eq(d.verdict, "reject")
end)

test("a cost below zero or an unknown kind is refused, naming the field", function()
  fails(function() eval("training", merge(BASE, { state = "applied", kind = "abroad" })) end,
    [[field 'kind' must be one of "planned" or "ad_hoc", got "abroad"]])
  fails(function() eval("training", merge(BASE, { state = "applied", cost = -1 })) end, "field 'cost' must be")
end)
