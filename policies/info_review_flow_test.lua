-- info_review_flow.lua: registration with its checks, the two reviews by their hands, the GM's signature
-- before anything is contracted, a suspicion confirmed (blacklisted, never served again) or cleared.
local workflow = require "workflow"
local merge = workflow.merge
local BASE = { id = "v1", client = "acme", form_number = "2026-0042", confirmed_in_person = true, originals_seen = true,
               actor = "xu", actor_role = "registration_admin" }
local STEPS = {
  { "registered", {} },
  { "initial_reviewed", { client_permission = true, verification_record = "gsxt.gov.cn, chsi.com.cn" } },
  { "approved", { actor = "boss", actor_role = "gm", gm_signature = "boss 10/12" } },
}
local step, walk = workflow.walker { type = "info_review", base = BASE, steps = STEPS, put = put, get = get }

test("registered, reviewed, signed by the GM", function()
  local have = walk(#STEPS)
  eq({ have.gm_signature, get("info_review", "v1").state }, { "boss 10/12", "approved" })
end)

test("a yes-or-no check given as text is refused, naming the field", function()
  fails(function() eval("info_review", merge(BASE, { state = "registered", originals_seen = "yes" })) end,
    "field 'originals_seen' must be a boolean")
end)

test("registration: numbered, confirmed face to face, originals seen", function()
  local d, r = step("registered", { originals_seen = false })
  eq(d.explanation, "info review v1: (new) → registered waits for field 'originals_seen' (the originals of the key " ..
    "documents seen (查看原件), true); nothing is stored as its state")
  eq(r.state, nil)
  contains(step("registered", { form_number = json.null }).explanation, "waits for field 'form_number'")
  contains(step("registered", { actor_role = "sales" }).explanation, "may be made by registration_admin, not by xu")
end)

test("the first review needs the client's permission and the record of what was checked", function()
  walk(1)
  local d = step("initial_reviewed", { verification_record = "x" })
  contains(d.explanation, "waits for field 'client_permission'")
end)

test("经复审并签字后方可签订服务合同: only the GM, with the signature, approves; no approval skips a review", function()
  local have = walk(1)
  local d = step("approved", merge(have, STEPS[3][2]))
  contains(d.explanation, "registered → approved is not allowed")
  have = walk(2, { id = "v2" })
  d = step("approved", merge(have, { gm_signature = "forged" }))
  contains(d.explanation, "initial_reviewed → approved may be made by gm, not by xu")
  d = step("approved", merge(have, { actor = "boss", actor_role = "gm" }))
  contains(d.explanation, "waits for field 'gm_signature' (the GM's signature (经复审并签字))")
end)

test("a confirmed forgery blacklists the client, who is never registered again", function()
  local have = walk(2)
  step("suspected", merge(have, { suspicion = "licence number not on gsxt" }))
  local d = step("blacklisted", merge(have, { actor_role = "gm", suspicion = "x" }))
  contains(d.explanation, "waits for field 'forgery_confirmed'")
  local _, r = step("blacklisted", merge(have, { actor_role = "gm", suspicion = "x", forgery_confirmed = true }))
  eq(r.state, "blacklisted")
  d = step("registered", { id = "v9", form_number = "2027-0001" })
  eq(d.verdict, "reject")
  contains(d.explanation, "client acme is on the 失信客户名单 (review v1): 再也不提供任何服务")
  eq(step("registered", { id = "v10", client = "other co" }).verdict, "pass")
end)

test("a suspicion the GM clears goes back to the first review", function()
  local have = walk(1)
  step("suspected", merge(have, { suspicion = "blurred scan" }))
  local _, r = step("initial_reviewed", merge(have, { actor_role = "gm", cleared_because = "original seen again" }))
  eq({ r.state, r.previous_state }, { "initial_reviewed", "suspected" })
end)
