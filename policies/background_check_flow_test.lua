-- background_check_flow.lua: every step in order with what it needs, consent before any checking, the
-- refusal, who decides, and that no step can be skipped.
local workflow = require "workflow"
local merge = workflow.merge
local BASE = { id = "b1", candidate = "chen", post = "finance manager", content = "identity, degree, 3 employers",
               methods = "phone", actor = "hu", actor_role = "hr" }
local STEPS = {   -- each step: the state and what it needs
  { "scoped", {} },
  { "notified", { notified_at = "2026-10-12T10:00:00+08:00" } },
  { "consented", { consent = true, authorization_form = "scan-17" } },
  { "collecting", { referees = "former supervisor wang" } },
  { "investigating", {} },
  { "form_filled", { check_form = "form-3" } },
  { "reported", { compared = true, report = "report-3", report_signed_by = "hu" } },
  { "decided", { outcome = "pass", actor = "boss", actor_role = "hr_manager" } },
}

local step, walk = workflow.walker { type = "background_check", base = BASE, steps = STEPS, put = put, get = get }

test("the six steps in order, each with what it needs", function()
  walk(#STEPS)
  local r = get("background_check", "b1")
  eq(r.state, "decided")
  eq(r.previous_state, "reported")
end)

test("each step without what it needs holds, naming the field, and the state stays", function()
  local have = {}
  for i = 2, #STEPS do
    have = walk(i - 1, { id = "m" .. i })
    local needs = STEPS[i][2]
    for field in pairs(needs) do
      if field ~= "actor" and field ~= "actor_role" then
        local d, r = step(STEPS[i][1], merge(have, needs, { id = "m" .. i, [field] = json.null }))
        eq(d.verdict, "hold", field)
        contains(d.explanation, "waits for field '" .. field .. "'")
        eq(r.state, STEPS[i - 1][1])
      end
    end
  end
end)

test("scoping needs the post, the content and the methods (1、确定需要背景调查的内容、方式)", function()
  local d, r = step("scoped", { methods = json.null })
  eq(d.verdict, "hold")
  eq(d.explanation, "background check b1: (new) → scoped waits for field 'methods' (how (方式)); nothing is stored as " ..
    "its state")
  eq(r.state, nil)
end)

test("consent first: no checking from scoped or notified, only from consented", function()
  walk(2)
  for _, to in ipairs { "collecting", "investigating", "form_filled" } do
    local d, r = step(to, { referees = "x", check_form = "y" })
    eq(d.verdict, "reject", to)
    contains(d.explanation, "notified → " .. to .. " is not allowed; from notified: consented (by hr), " ..
      "consent_refused (by hr); state stays notified")
    eq(r.state, "notified")
  end
  local d = step("consented", { consent = false, authorization_form = "scan" })
  eq(d.verdict, "hold")
  contains(d.explanation, "waits for field 'consent' (the candidate's consent, true)")
end)

test("a refusal ends the check: consent = false, and nothing follows", function()
  walk(2)
  local d, r = step("consent_refused", {})
  eq(d.verdict, "hold")
  contains(d.explanation, "refused: a refusal is recorded as consent = false")
  eq(r.state, "notified")
  d, r = step("consent_refused", { consent = false })
  eq(d.verdict, "pass")
  eq(r.state, "consent_refused")
  d = step("consented", { consent = true, authorization_form = "late" })
  contains(d.explanation, "from consent_refused: none (consent_refused is final)")
end)

test("only HR makes the steps; the superior (hr_manager or the named person) decides", function()
  local d = step("scoped", { actor = "li", actor_role = "department_head" })
  eq(d.explanation, "background check b1: (new) → scoped may be made by hr, not by li; nothing is stored as its state")
  local have = walk(7)
  d = step("decided", merge(have, { outcome = "pass" }))
  contains(d.explanation, "reported → decided may be made by hr_manager or the person in field 'superior', not by hu")
  d = step("decided", merge(have, { outcome = "refer", actor = "zhou", actor_role = "gm", superior = "zhou" }))
  eq(d.verdict, "pass")
end)

test("the outcome is pass, fail or refer", function()
  fails(function() eval("background_check", merge(BASE, { state = "decided", outcome = "maybe" })) end,
    [[field 'outcome' must be one of "pass", "fail" or "refer", got "maybe"]])
end)
