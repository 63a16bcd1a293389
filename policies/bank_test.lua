-- bank_test.lua — bank.lua: the VIP score at 29, 29.5, 30 and 31 (及以上), the card's consent, every
-- client-manager grade, the trainee year and back-office staff.
local function client(score, extra)
  local f = { id = "b1", score = score }
  for k, v in pairs(extra or {}) do f[k] = v end
  local out = eval("bank_client", f)
  return out.record, out.decisions[1]
end

test("a score of 30 is a VIP (分值达到30分及以上); 29 and 29.5 are not", function()
  local rec, d = client(30)
  eq(rec.vip, true)
  eq(d.explanation, "score 30 >= 30: a personal VIP (分值达到30分及以上)")
  eq(client(31).vip, true)
  rec, d = client(29.5)
  eq(rec.vip, false)
  eq(d.explanation, "score 29.5 < 30: not a personal VIP")
  eq(client(29).vip, false)
  eq(client(0).vip, false)
end)

test("a VIP card only for a VIP, and only with consent (在征得客户同意的前提下)", function()
  local _, d = client(29, { card = "gold", consent = true })
  eq(d.verdict, "reject")
  contains(d.explanation, "a gold card is only for a personal VIP")
  _, d = client(40, { card = "diamond" })
  eq(d.verdict, "hold")
  contains(d.explanation, "consent is not recorded")
  _, d = client(40, { card = "diamond", consent = false })
  contains(d.explanation, "consent is refused")
  _, d = client(40, { card = "platinum", consent = true })
  eq(d.verdict, "pass")
  _, d = client(40)
  eq(d.verdict, nil) -- no card asked for: no verdict
end)

test("an unknown card or a negative score is refused by field", function()
  fails(function() client(40, { card = "silver" }) end, [[field 'card' must be one of "gold", "platinum" or "diamond"]])
  fails(function() client(-1) end, "field 'score' must be a number of at least 0, got -1")
end)

test("every client-manager grade gives its staff grade (高级5等 … 见习9等)", function()
  for grade, staff in pairs { senior = 5, first = 6, second = 7, third = 8, fourth = 9, trainee = 9 } do
    local out = eval("client_manager", { id = "m1", grade = grade })
    eq(out.record.staff_grade, staff, grade)
    eq(out.decisions[1].explanation, string.format("client manager %s: staff grade %d (行员等级)", grade, staff))
  end
end)

test("a trainee's year (见习期为一年) ends a calendar year on, at the end of that day", function()
  clock.set("2026-03-01T10:00:00+08:00")
  local out = put("client_manager", { id = "m2", grade = "trainee", trainee_since = "2026-03-02" })
  eq(out.deadlines[1].name, "trainee_year")
  eq(out.deadlines[1].due, "2027-03-03T00:00:00+08:00") -- the end of 2 March 2027
  contains(out.decisions[1].explanation, "trainee year ends 2027-03-03T00:00:00+08:00")
  eq(clock.advance("next"), 1)
  put("client_manager", { id = "m2", grade = "third", trainee_since = "2026-03-02" })
  eq(#timers("client_manager", "m2"), 0)
end)

test("back-office staff in a marketing unit hold no grade (不享受客户经理相关待遇)", function()
  local out = eval("client_manager", { id = "m3", grade = "first", back_office = true })
  eq(out.record.staff_grade, nil)
  eq(out.decisions[1].explanation, "back-office staff in a marketing unit hold no client-manager grade (不享受客户经理相关待遇)")
  eq(eval("client_manager", { id = "m4" }).record.staff_grade, nil)
end)
