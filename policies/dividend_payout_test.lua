-- dividend_payout_test.lua — dividend_payout.lua: each step's deadline (30 days, 7 working days before across
-- the National Day week, 2 / 1 / 2 working days after), a step done at and after its deadline.
local function run(fields)
  fields.id = "dv1"
  return eval("dividend_payout", fields)
end
local function due_of(out, name)
  for _, t in ipairs(out.deadlines or {}) do if t.name == name then return t.due end end
end

test("interest calculated 30 days before the due date (派息到期日前30天), by the end of that day", function()
  local out = run { due_on = "2026-12-31" }
  eq(due_of(out, "calculate"), "2026-12-02T00:00:00+08:00") -- the end of 1 December
  contains(out.decisions[1].explanation, "interest calculation due by 2026-12-02T00:00:00+08:00")
end)

test("the payment date re-confirmed 7 working days before the project company pays (read with 前)", function()
  local out = run { project_pay_on = "2026-10-13" }
  eq(due_of(out, "reconfirm"), "2026-09-29T18:00:00+08:00") -- 7 working days back across the National Day week
end)

test("payout 2 working days after the interest is verified, notice 1 after it, return visit 2 after that", function()
  local out = run { interest_verified_at = "2026-11-20T10:00:00+08:00" } -- Friday
  eq(due_of(out, "pay"), "2026-11-24T18:00:00+08:00")
  out = run { interest_verified_at = "2026-11-20T10:00:00+08:00", paid_at = "2026-11-24T18:00:00+08:00" }
  eq(due_of(out, "pay"), nil)
  eq(due_of(out, "notify"), "2026-11-25T18:00:00+08:00")
  eq(out.decisions[1].verdict, nil) -- paid at the deadline: on time
  out = run { interest_verified_at = "2026-11-20T10:00:00+08:00", paid_at = "2026-11-24T18:00:00+08:00",
              notified_at = "2026-11-25T09:00:00+08:00" }
  eq(due_of(out, "revisit"), "2026-11-26T18:00:00+08:00") -- told at 09:00, before the day began: it is day 1
end)

test("a step done after its deadline is held as late", function()
  local out = run { interest_verified_at = "2026-11-20T10:00:00+08:00", paid_at = "2026-11-24T18:00:01+08:00" }
  eq(out.decisions[1].verdict, "hold")
  contains(out.decisions[1].explanation,
    "payout to investors done 2026-11-24T18:00:01+08:00, after its deadline 2026-11-24T18:00:00+08:00")
end)

test("an overdue step escalates", function()
  clock.set("2026-11-20T10:00:00+08:00")
  put("dividend_payout", { id = "dv2", interest_verified_at = "2026-11-20T10:00:00+08:00" })
  eq(clock.advance("next"), 1)
  eq(#timers("dividend_payout", "dv2"), 0)
end)
