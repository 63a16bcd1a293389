-- reminders_test.lua — reminders.lua: each duty's next date from a Wednesday in November, the Friday
-- saved on Friday afternoon, the last day of February, and each re-arming once.
local function due_of(out, name)
  for _, t in ipairs(out.deadlines) do if t.name == name then return t.due end end
end

test("every duty's next date from Wednesday 18 November 2026", function()
  clock.set("2026-11-18T10:00:00+08:00")
  local out = put("company_calendar", { id = "acme" })
  eq(due_of(out, "weekly_report"), "2026-11-20T14:00:00+08:00")       -- Friday
  eq(due_of(out, "suggestions_summary"), "2026-11-23T09:00:00+08:00") -- Monday
  eq(due_of(out, "supervision_report"), "2026-11-30T09:00:00+08:00")  -- 月底
  eq(due_of(out, "client_mailing"), "2026-12-01T09:00:00+08:00")
  eq(due_of(out, "vip_event"), "2026-12-01T09:00:00+08:00")
  eq(due_of(out, "service_bulletin"), "2026-12-15T09:00:00+08:00")
  eq(due_of(out, "appraisal_forms"), "2026-11-28T09:00:00+08:00")     -- 每月28日
  eq(due_of(out, "annual_appraisal"), "2026-12-20T09:00:00+08:00")    -- 12月20日
  eq(due_of(out, "training_plan"), "2026-12-01T09:00:00+08:00")
  eq(due_of(out, "outsourcing_billing"), "2026-11-30T09:00:00+08:00")
  contains(out.decisions[1].explanation, "next: ")
end)

test("saved on a Friday afternoon, that Friday's reminder fires; then next Friday", function()
  clock.set("2026-11-20T16:00:00+08:00")
  local out = put("company_calendar", { id = "b" })
  eq(due_of(out, "weekly_report"), "2026-11-20T14:00:00+08:00")
  ok(clock.advance("1 minute") >= 1)
  local found
  for _, t in ipairs(timers("company_calendar", "b")) do if t.name == "weekly_report" then found = t.due end end
  eq(found, "2026-11-27T14:00:00+08:00")
end)

test("the last day of February; the half-yearly event in June after December", function()
  clock.set("2027-02-10T10:00:00+08:00")
  local out = put("company_calendar", { id = "c" })
  eq(due_of(out, "supervision_report"), "2027-02-28T09:00:00+08:00")
  eq(due_of(out, "vip_event"), "2027-06-01T09:00:00+08:00")
  eq(due_of(out, "annual_appraisal"), "2027-12-20T09:00:00+08:00")
end)
