-- candidate_screen_test.lua — every rule of candidate_screen.lua, its bounds (age 17/18/19, 2/3/4 employers,
-- 4/5/6 years), every reason reported when several apply, and the general manager's recorded decisions.
local function screen(extra)
  local fields = { id = "p1", age = 30, level = "staff" }
  for k, v in pairs(extra or {}) do fields[k] = v end
  local out = eval("candidate", fields)
  return out.decisions[1], out
end

-- A manager of `level` whose check is done, covering `employers` and `years`.
local function checked(level, employers, years)
  return screen { level = level, consent = true, background_check = "done", employers_checked = employers,
                  years_checked = years }
end
local function senior(employers, years) return checked("senior", employers, years) end

test("a clean staff candidate passes", function()
  local d, out = screen()
  eq(d.verdict, "pass")
  eq(d.explanation, "no disqualifier; no background check required (staff level, not a key post)")
  eq(#out.events, 0)
end)

test("age 17 is a minor (未成年者) and rejected; 18 and 19 are not", function()
  local d = screen { age = 17 }
  eq(d.verdict, "reject")
  eq(d.explanation, "rule 2 'minor': age 17 < 18")
  eq(screen({ age = 18 }).verdict, "pass")
  eq(screen({ age = 19 }).verdict, "pass")
end)

test("each disqualifier rejects on its own, and says which", function()
  for field, text in pairs {
    criminal_record = "rule 1 'criminal record': criminal_record is true",
    fraud = "rule 3 'fraud': fraud is true",
    dismissed_by_us = "rule 4 'dismissed by us': dismissed_by_us is true",
    other_contract_active = "rule 5 'other contract active': other_contract_active is true",
    serious_illness = "rule 6 'serious illness': serious_illness is true",
  } do
    local d = screen { [field] = true }
    eq(d.verdict, "reject", field)
    eq(d.explanation, text, field)
    eq(screen({ [field] = false }).verdict, "pass", field .. " false")
  end
end)

test("every disqualifier that applies is a reason", function()
  local d = screen { age = 16, criminal_record = true, other_contract_active = true, fraud = true }
  eq(d.verdict, "reject")
  eq(d.reasons, {
    "rule 1 'criminal record': criminal_record is true",
    "rule 2 'minor': age 16 < 18",
    "rule 3 'fraud': fraud is true",
    "rule 5 'other contract active': other_contract_active is true",
  })
end)

test("a disqualified key-post candidate is rejected, not held, and not asked for consent", function()
  local d, out = screen { key_post = true, dismissed_by_us = true }
  eq(d.verdict, "reject")
  eq(#d.reasons, 1)
  eq(#out.events, 0)
end)

test("a key post without consent is held and the consent is asked for", function()
  local d, out = screen { key_post = true }
  eq(d.verdict, "hold")
  contains(d.explanation, "background check required for a key post")
  contains(d.explanation, "consent is asked first")
  eq(#out.events, 1)
  eq(out.events[1].kind, "consent_request")
  eq(out.events[1].payload, { candidate = "p1", required_for = "key_post" })
end)

test("middle and senior managers need the check; staff do not", function()
  for _, level in ipairs { "middle", "senior" } do
    local d, out = screen { level = level }
    eq(d.verdict, "hold", level)
    contains(d.explanation, level .. " manager")
    eq(out.events[1].payload.required_for, level)
  end
  eq(screen({ level = "staff", consent = true }).verdict, "pass")
  eq(screen({ consent = true, background_check = "none" }).verdict, "pass")
end)

test("with consent, held while the check is not done", function()
  local d, out = screen { level = "middle", consent = true, background_check = "in_progress" }
  eq(d.verdict, "hold")
  contains(d.explanation, "not done: background_check is in_progress")
  eq(#out.events, 0)
  d = screen { key_post = true, consent = true }
  eq(d.verdict, "hold")
  contains(d.explanation, "background_check is none")
end)

test("a refused consent is held for a person, without asking again", function()
  local d, out = screen { key_post = true, consent = false }
  eq(d.verdict, "hold")
  contains(d.explanation, "refused consent")
  contains(d.explanation, "the general manager (总经理) decides (record decided_by, decision and decision_reason)")
  eq(#out.events, 1)
  eq(out.events[1].kind, "decision_needed")
  eq(out.events[1].payload.to, "general_manager")
end)

test("a middle manager or key post whose check is done passes", function()
  local d = checked("middle", 3, 5)
  eq(d.verdict, "pass")
  eq(d.explanation, "no disqualifier; background check done for a middle manager")
  eq(screen({ key_post = true, consent = true, background_check = "done" }).verdict, "pass")
end)

test("a senior manager's check: 3 employers (不少于3个) at least — 2 holds, 3 and 4 pass", function()
  local d = senior(2, 5)
  eq(d.verdict, "hold")
  eq(d.explanation, "a senior manager's check covers too few employers: employers_checked 2 < 3 (不少于3个近的任职单位)")
  eq(senior(3, 5).verdict, "pass")
  eq(senior(4, 5).verdict, "pass")
end)

test("a senior manager's check: 5 years (5年以内) at least — 4 and 4.9 hold, 5 and 6 pass", function()
  local d = senior(3, 4)
  eq(d.verdict, "hold")
  contains(d.explanation, "years_checked 4 < 5")
  eq(senior(3, 4.9).verdict, "hold")
  eq(senior(3, 5).verdict, "pass")
  eq(senior(3, 6).verdict, "pass")
end)

test("a senior manager's check short on both counts gives both reasons", function()
  local d = senior(1, 2)
  eq(d.verdict, "hold")
  eq(#d.reasons, 2)
  local d2 = senior(nil, nil)
  eq(#d2.reasons, 2)
  contains(d2.explanation, "employers_checked 0 < 3")
end)

test("a senior key post is checked for scope too", function()
  local d = screen { key_post = true, level = "senior", consent = true, background_check = "done", employers_checked = 3,
                     years_checked = 4 }
  eq(d.verdict, "hold")
  contains(d.explanation, "years_checked 4 < 5")
end)

test("a missing age is held with the other reasons", function()
  local out = eval("candidate", { id = "p2", level = "middle" })
  local d = out.decisions[1]
  eq(d.verdict, "hold")
  eq(#d.reasons, 2)
  contains(d.reasons[1], "age is not recorded")
  eq(out.events[1].kind, "consent_request")
  eq(eval("candidate", { id = "p3" }).decisions[1].verdict, "hold")
end)

test("an unknown level or check state is refused, naming the values it may take", function()
  fails(function() screen { level = "ceo" } end,
    [[field 'level' must be one of "staff", "frontline", "middle" or "senior", got "ceo"]])
  fails(function() screen { key_post = true, background_check = "started" } end,
    [[field 'background_check' must be one of "none", "in_progress" or "done", got "started"]])
end)

test("gender, looks and household registration (hukou) change nothing", function()
  for _, extra in ipairs {
    { gender = "female" }, { gender = "male" }, { appearance = "plain" }, { hukou = "rural" }, { hukou = "other_city" },
  } do
    local d = screen(extra)
    eq(d.verdict, "pass")
    eq(d.explanation, "no disqualifier; no background check required (staff level, not a key post)")
  end
end)

test("a field of the wrong type is refused by name", function()
  fails(function() eval("candidate", { id = "p4", age = "17" }) end, "field 'age' must be an integer")
end)

-- issue 14: 「公司所有拟录用的管理人员都应进行背调」 — all managers, front-line ones too.
test("a front-line manager needs a check too (公司所有拟录用的管理人员都应进行背调)", function()
  local d, out = screen { level = "frontline" }
  eq(d.verdict, "hold")
  contains(d.explanation, "background check required for a front-line manager")
  eq(out.events[1].payload.required_for, "frontline")
  d = screen { level = "frontline", consent = true, background_check = "done" }
  eq(d.verdict, "pass") -- the 3-employer / 5-year scope is for 中高层 only
  eq(d.explanation, "no disqualifier; background check done for a front-line manager")
end)

-- issue 14: 「对中高层管理人员的背调…一般应不少于3个近的任职单位」 — middle AND senior.
test("a middle manager's check must reach 3 employers and 5 years too (对中高层管理人员的背调)", function()
  local d = checked("middle", 2, 5)
  eq(d.verdict, "hold")
  eq(d.explanation, "a middle manager's check covers too few employers: employers_checked 2 < 3 (不少于3个近的任职单位)")
  d = checked("middle", 3, 4)
  eq(d.verdict, "hold")
  contains(d.explanation, "years_checked 4 < 5")
end)

local function short_career(extra)
  local t = { level = "senior", consent = true, background_check = "done", employers_checked = 2, employers_total = 2,
              years_checked = 5 }
  for k, v in pairs(extra or {}) do t[k] = v end
  return screen(t)
end

-- issue 14: 「一般」 makes 3 employers a norm: fewer in a whole career is for a person to decide, not a hold for ever.
test("fewer than 3 employers in the whole career, all checked: held for the general manager (一般应不少于3个)", function()
  local d, out = short_career()
  eq(d.verdict, "hold")
  eq(d.explanation, "a senior manager had 2 employer(s) in the whole career, all checked, fewer than the usual 3 " ..
    "(一般应不少于3个近的任职单位: a norm): the general manager (总经理) decides (record decided_by, decision and " ..
    "decision_reason)")
  eq(out.events[1].kind, "decision_needed")
  eq(out.events[1].payload, { to = "general_manager", reasons = { d.reasons[1]:match("^(.-): the general") } })
end)

test("the general manager's recorded decision is the verdict, explained", function()
  local d, out = short_career { decided_by = "gm.li", decision = "pass", decision_reason = "two employers over 12 years, both confirm" }
  eq(d.verdict, "pass")
  eq(d.explanation, "decided by gm.li (the general manager (总经理)): pass — two employers over 12 years, both confirm; " ..
    "in place of: a senior manager had 2 employer(s) in the whole career, all checked, fewer than the usual 3 " ..
    "(一般应不少于3个近的任职单位: a norm)")
  eq(#out.events, 0)
  d = short_career { decided_by = "gm.li", decision = "reject", decision_reason = "references do not match" }
  eq(d.verdict, "reject")
  d = screen { key_post = true, consent = false, decided_by = "gm.li", decision = "reject", decision_reason = "no check, no hire" }
  eq(d.verdict, "reject")
  contains(d.explanation, "in place of: background check required for a key post")
end)

test("a decision without who or why is not taken, and the hold says which field is missing", function()
  local d = short_career { decision = "pass", decision_reason = "ok" }
  eq(d.verdict, "hold")
  eq(d.reasons[1], 'the recorded decision "pass" is not taken: decided_by is missing (who decided)')
  d = short_career { decision = "pass", decided_by = "gm.li" }
  eq(d.reasons[1], 'the recorded decision "pass" is not taken: decision_reason is missing (why)')
  fails(function() short_career { decision = "approve" } end,
    [[field 'decision' must be one of "pass", "hold" or "reject", got "approve"]])
end)

test("a decision overrides only what needs a person: not a disqualifier, not a check still to do", function()
  local gm = { decided_by = "gm.li", decision = "pass", decision_reason = "we want her" }
  local extra = { age = 17 }
  for k, v in pairs(gm) do extra[k] = v end
  eq(screen(extra).verdict, "reject")
  local d = short_career { employers_checked = 1, decided_by = "gm.li", decision = "pass", decision_reason = "x" }
  eq(d.verdict, "hold")
  eq(d.explanation, "a senior manager's check covers too few employers: employers_checked 1 < 3 (不少于3个近的任职单位)")
  d = screen { level = "staff", decided_by = "gm.li", decision = "reject", decision_reason = "x" }
  eq(d.verdict, "pass")
  contains(d.explanation, 'decision "reject" by gm.li recorded, but nothing here waits for a person')
end)

test("a career shorter than 5 years is covered whole when all of it is checked (5年以内)", function()
  local t = { level = "senior", consent = true, background_check = "done", employers_checked = 3, career_years = 3 }
  t.years_checked = 3
  eq(screen(t).verdict, "pass")
  t.years_checked = 2.5
  local d = screen(t)
  eq(d.verdict, "hold")
  contains(d.explanation, "years_checked 2.5 < 3")
end)
