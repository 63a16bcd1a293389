-- Every rule of candidate_screen.lua, and every reason reported when several apply.
local function screen(fields)
  fields.id = fields.id or "p1"
  local out = eval("candidate", fields)
  return out.decisions[1], out
end

local CLEAN = { age = 30, level = "staff" }
local function with(extra)
  local t = {}
  for k, v in pairs(CLEAN) do t[k] = v end
  for k, v in pairs(extra) do t[k] = v end
  return t
end

test("a clean staff candidate passes", function()
  local d = screen(with {})
  eq(d.verdict, "pass")
  contains(d.explanation, "no background check required")
end)

test("each disqualifier rejects on its own", function()
  for field, words in pairs {
    criminal_record = "criminal record", dismissed_by_us = "dismissed by this company",
    other_contract_active = "labour contract elsewhere", serious_illness = "serious illness", fraud = "fraud",
  } do
    local d = screen(with { [field] = true })
    eq(d.verdict, "reject", field)
    contains(d.explanation, words)
  end
end)

test("age 17 is rejected as a minor; 18 is not", function()
  local d = screen(with { age = 17 })
  eq(d.verdict, "reject")
  contains(d.explanation, "under 18 (未成年者): age 17 < 18")
  eq(screen(with { age = 18 }).verdict, "pass")
end)

test("every reason that applies is reported", function()
  local d = screen(with { age = 16, criminal_record = true, other_contract_active = true })
  eq(d.verdict, "reject")
  eq(#d.reasons, 3)
end)

test("a key post without consent is held, asking for consent first", function()
  local d, out = screen(with { key_post = true })
  eq(d.verdict, "hold")
  contains(d.explanation, "ask the candidate's consent first")
  eq(out.events[1].kind, "consent_request")
end)

test("a middle manager with consent is held while the check runs", function()
  local d, out = screen(with { level = "middle", consent = true, background_check = "in_progress" })
  eq(d.verdict, "hold")
  contains(d.explanation, "status in_progress")
  eq(#out.events, 0)
end)

test("a middle manager whose check is done passes", function()
  eq(screen(with { level = "middle", consent = true, background_check = "done" }).verdict, "pass")
end)

test("a senior manager needs 3 employers and 5 years checked", function()
  local base = { level = "senior", consent = true, background_check = "done" }
  local function s(e, y) local t = with(base); t.employers_checked, t.years_checked = e, y; return screen(t).verdict end
  eq(s(3, 5), "pass")
  eq(s(2, 5), "hold")
  eq(s(3, 4.9), "hold")
  eq(s(5, 10), "pass")
end)

test("a disqualified key-post candidate is rejected, not held", function()
  eq(screen(with { key_post = true, fraud = true }).verdict, "reject")
end)

test("a missing age is held", function()
  local d = screen({ level = "staff" })
  eq(d.verdict, "hold")
  contains(d.explanation, "age not recorded")
end)

test("gender, looks and household registration change nothing", function()
  local d = screen(with { gender = "female", appearance = "plain", hukou = "rural" })
  eq(d.verdict, "pass")
end)
