-- contract_submission_test.lua — the scale of contract_submission.lua at every round (1, 2, 3, 4, 5) and
-- defective count (0, 1, 2), the escalation after round 3, and the month the points count in.
local function submit(round, defective, month)
  return eval("contract_submission", { id = "s1", adviser = "wang", round = round, defective = defective,
                                       month = month or "2026-11" })
end

test("round 1: -1 per defective contract (扣除1分)", function()
  local out = submit(1, 1)
  eq(#out.points, 1)
  eq(out.points[1].subject, "wang")
  eq(out.points[1].points, -1)
  eq(out.points[1].period, "2026-11")
  eq(out.points[1].reason, "round 1: 1 defective contract × -1 = -1 points (每份不合格合同月度考核扣除1分)")
  eq(submit(1, 3).points[1].points, -3)
end)

test("round 2: -2 per defective contract (扣除2分)", function()
  eq(submit(2, 1).points[1].points, -2)
  local out = submit(2, 2)
  eq(out.points[1].points, -4)
  eq(out.decisions[1].verdict, "hold")
end)

test("round 3: -4 per defective contract (扣除4分)", function()
  eq(submit(3, 1).points[1].points, -4)
  local out = submit(3, 2)
  eq(out.points[1].points, -8)
  contains(out.decisions[1].explanation, "round 3: 2 defective contracts × -4 = -8 points")
  eq(#out.events, 0)
end)

test("round 4, beyond the third: no points, held for the general manager (由公司总经理直接拟定处罚方案)", function()
  local out = submit(4, 1)
  eq(#out.points, 0)
  eq(#out.events, 1)
  eq(out.events[1].kind, "decision_needed")
  eq(out.events[1].payload, { to = "general_manager", reasons = {
    "round 4, beyond the third, with 1 defective contract: no figure in the document (超过三次的,由公司总经理直接拟定处罚方案)" } })
  eq(out.decisions[1].verdict, "hold")
  contains(out.decisions[1].explanation, "the general manager (总经理) decides")
end)

test("round 5 waits for the general manager too", function()
  local out = submit(5, 3)
  eq(#out.points, 0)
  eq(out.events[1].kind, "decision_needed")
end)

test("no defective contract: no points, no escalation, at any round", function()
  for round = 1, 5 do
    local out = submit(round, 0)
    eq(#out.points, 0, "round " .. round)
    eq(#out.events, 0, "round " .. round)
    eq(out.decisions[1].verdict, "pass", "round " .. round)
  end
end)

test("without a month the points count in the current month", function()
  local out = eval("contract_submission", { id = "s2", adviser = "wang", round = 1, defective = 1 })
  eq(out.points[1].points, -1)
  ok(type(out.points[1].period) == "string" and out.points[1].period:match("^%d%d%d%d%-%d%d$"),
    "a YYYY-MM period, got " .. tostring(out.points[1].period))
end)

test("points add up in the ledger of the month", function()
  put("contract_submission", { id = "s1", adviser = "li", round = 1, defective = 2, month = "2026-11" })
  put("contract_submission", { id = "s2", adviser = "li", round = 2, defective = 1, month = "2026-11" })
  put("contract_submission", { id = "s3", adviser = "li", round = 3, defective = 1, month = "2026-12" })
  eq(ledger("li", "2026-11").total, -4)
  eq(ledger("li", "2026-12").total, -4)
end)

test("nonsense counts are errors naming the field", function()
  fails(function() submit(0, 1) end, "field 'round' must be an integer of at least 1, got 0")
  fails(function() submit(1, -1) end, "field 'defective' must be an integer of at least 0, got -1")
  fails(function() submit(1, 1, "11/2026") end, "field 'month' must be a month (YYYY-MM), got \"11/2026\"")
  fails(function() submit(1, 1, "2026-13") end, "got \"2026-13\" (no such month)")
  -- every wrong field at once, each with the policy that needs it
  local err = fails(function() submit(0, -1, "2026-13") end)
  for _, field in ipairs { "defective", "month", "round" } do
    contains(err, "field '" .. field .. "' must be ")
  end
  eq(select(2, err:gsub("needed by policy contract_submission, ", "")), 3)
end)

-- issue 14: 「没有按时提交或者没有按时补齐…视为一次…提交失败」 — a late submission is a failed round.
test("a late, complete package is a failed round: the round's figure once (视为一次…提交失败)", function()
  local out = eval("contract_submission", { id = "s3", adviser = "wang", round = 1, defective = 0, late = true,
                                           month = "2026-11" })
  eq(#out.points, 1)
  eq(out.points[1].points, -1)
  eq(out.points[1].reason, "round 1: 1 defective contract × -1 = -1 points (每份不合格合同月度考核扣除1分)")
  eq(out.decisions[1].verdict, "pass")
  eq(out.decisions[1].reasons[1], "round 1 was late (没有按时提交或者没有按时补齐…视为一次提交失败): a failed round")
  eq(eval("contract_submission", { id = "s3", adviser = "wang", round = 2, defective = 0, late = true }).points[1].points, -2)
  eq(eval("contract_submission", { id = "s3", adviser = "wang", round = 3, defective = 0, late = true }).points[1].points, -4)
end)

test("a late package with defective contracts: one failure, each contract counted once", function()
  local out = eval("contract_submission", { id = "s3", adviser = "wang", round = 2, defective = 2, late = true })
  eq(out.points[1].points, -4)
  eq(out.decisions[1].verdict, "hold")
  eq(submit(2, 2).points[1].points, -4) -- the same figure on time: lateness adds no second failure
  local ontime = eval("contract_submission", { id = "s3", adviser = "wang", round = 1, defective = 0, late = false })
  eq(#ontime.points, 0)
end)

test("late rounds add up with the others (以此累计)", function()
  put("contract_submission", { id = "a1", adviser = "zhou", round = 1, defective = 1, month = "2026-11" })
  put("contract_submission", { id = "a2", adviser = "zhou", round = 2, defective = 0, late = true, month = "2026-11" })
  eq(ledger("zhou", "2026-11").total, -3)
end)

test("beyond round 3 the general manager's recorded penalty is the points, explained", function()
  local out = eval("contract_submission", { id = "s4", adviser = "wang", round = 4, defective = 2, month = "2026-11",
    decided_by = "gm.li", decision = "hold", decision_reason = "fourth failure this quarter", decided_points = -10 })
  eq(out.points[1].points, -10)
  eq(out.points[1].reason, "the general manager's penalty: -10 points (decided_points)")
  eq(out.decisions[1].verdict, "hold")
  contains(out.decisions[1].explanation, "decided by gm.li (the general manager (总经理)): hold — fourth failure this quarter")
  eq(#out.events, 0)
  -- a late round 4 with nothing defective waits for the general manager too
  out = eval("contract_submission", { id = "s4", adviser = "wang", round = 4, defective = 0, late = true })
  eq(out.events[1].kind, "decision_needed")
  fails(function()
    eval("contract_submission", { id = "s4", adviser = "wang", round = 4, defective = 1, decided_points = 3 })
  end, "field 'decided_points' must be an integer of at most 0, got 3")
end)
