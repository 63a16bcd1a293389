-- training_test.lua — training.lua: a year of service to the day, each condition, 50,000 and 50,001 yuan,
-- 15/14 and 7/6 days ahead, the approver's recorded decision, and the sharing within 30 days.
local BASE = { id = "t1", hired_on = "2025-12-01", rating = "excellent", willing_long_term = true,
               contract_in_term = true, kind = "planned", applied_on = "2026-11-01", starts_on = "2026-12-01" }
local function apply(extra)
  local f = {}
  for k, v in pairs(BASE) do f[k] = v end
  for k, v in pairs(extra or {}) do f[k] = v end
  local out = eval("training_candidate", f)
  return out.decisions[1], out
end

test("eligible: a full year to the day (满一年及以上), excellent, willing, within the contract", function()
  local d = apply()
  eq(d.verdict, "pass")
  eq(d.explanation, "eligible: a full year of service, rated excellent, willing to stay, within the contract")
end)

test("a day short of a year, or any condition missing: held for special approval (除特殊批准外)", function()
  local d, out = apply { hired_on = "2025-12-02" }
  eq(d.verdict, "hold")
  contains(d.explanation, "hired 2025-12-02: one full year of service only on 2026-12-02 (已在公司工作满一年及以上)")
  contains(d.explanation, "the general manager (总经理, 特殊批准) decides")
  eq(out.events[1].payload.to, "general_manager")
  eq(#apply({ rating = "good", willing_long_term = false, contract_in_term = false }).reasons, 3)
  contains(apply({ rating = "good" }).explanation, "annual rating good, not excellent (年度考核优秀)")
end)

test("the general manager's special approval is the verdict, explained", function()
  local d = apply { rating = "good", decided_by = "gm.li", decision = "pass", decision_reason = "the only engineer for the new line" }
  eq(d.verdict, "pass")
  contains(d.explanation, "decided by gm.li (the general manager (总经理, 特殊批准)): pass — the only engineer")
end)

test("over 50,000 yuan (超过5万元) needs the group president; 50,000 does not", function()
  eq(apply({ cost = 50000 }).verdict, "pass")
  local d, out = apply { cost = 50001 }
  eq(d.verdict, "hold")
  eq(d.reasons[1], "cost 50,001 yuan is over 50,000 (超过5万元的需报集团总裁审批): the group president (集团总裁) decides " ..
    "(record decided_by, decision and decision_reason)")
  eq(out.events[1].payload.to, "group_president")
  eq(apply({ cost = 80000, decided_by = "pres.wang", decision = "reject", decision_reason = "budget" }).verdict, "reject")
end)

test("applied 15 days ahead for a planned course (提前15天), 7 for an ad-hoc one (提前7天); a day less is late", function()
  eq(apply({ applied_on = "2026-11-16" }).verdict, "pass")
  local d = apply { applied_on = "2026-11-17" }
  eq(d.verdict, "hold")
  contains(d.explanation, "applied 2026-11-17 for a course starting 2026-12-01: 14 days ahead, fewer than the 15 required")
  eq(apply({ kind = "ad_hoc", applied_on = "2026-11-24" }).verdict, "pass")
  eq(apply({ kind = "ad_hoc", applied_on = "2026-11-25" }).verdict, "hold")
end)

test("sharing within 30 days of return (学习回来30日内); overdue tells the department", function()
  clock.set("2026-11-02T10:00:00+08:00")
  local out = put("training_return", { id = "r1", returned_on = "2026-11-01", department = "sales" })
  eq(out.deadlines[1].due, "2026-12-02T00:00:00+08:00") -- the end of 1 December
  eq(out.decisions[1].explanation, "sharing session due by 2026-12-02T00:00:00+08:00 (学习回来30日内)")
  eq(clock.advance("next"), 1)
  put("training_return", { id = "r2", returned_on = "2026-11-01", department = "sales" })
  out = put("training_return", { id = "r2", returned_on = "2026-11-01", department = "sales", shared_on = "2026-11-20" })
  eq(#timers("training_return", "r2"), 0)
  eq(out.decisions[1].explanation, "shared on 2026-11-20")
end)
