-- promotion_flow.lua: both conditions at their boundary, the region's approval from supervisor up, the
-- 3-month trial and its escalation, an extension within 6 months, confirmation and reverting.
local workflow = require "workflow"
local merge = workflow.merge
local BASE = { id = "m1", employee = "li", to_level = "team_leader", top3_streak = 2, months_in_post = 6,
               effective_on = "2026-07-01", actor = "hu" }
local STEPS = {
  { "proposed", {} },
  { "approved", { actor_role = "leadership", leadership_approval = "board 7/1" } },
  { "on_trial", { actor_role = "hr" } },
  { "confirmed", { actor_role = "hr" } },
}
local step, walk = workflow.walker { type = "promotion_request", base = BASE, steps = STEPS, put = put, get = get }

test("eligible, approved, on trial, confirmed: no deadline is left", function()
  local have = walk(3)
  eq(#timers("promotion_request", "m1"), 1)
  local _, r = step("confirmed", merge(have, STEPS[4][2]))
  eq({ r.previous_state, r.state, #timers("promotion_request", "m1") }, { "on_trial", "confirmed", 0 })
end)

test("连续两次前三名 and 半年以上: 2 reviews and 6 months pass; 1 review or 5.9 months do not", function()
  eq(step("proposed", { id = "e1" }).verdict, "pass")
  local d = step("proposed", { id = "e2", top3_streak = 1 })
  eq(d.verdict, "reject")
  eq(d.explanation, "promotion e2: (new) → proposed refused: not eligible: top3_streak 1 (at least 2: 连续两次前三名) " ..
    "and months_in_post 6 (at least 6: 半年以上) are both required; nothing is stored as its state")
  eq(step("proposed", { id = "e3", months_in_post = 5.9 }).verdict, "reject")
end)

test("主管以上: from supervisor up the region approves too; below it the leadership alone", function()
  for _, case in ipairs { { "department_assistant", "pass" }, { "supervisor", "hold" }, { "gm", "hold" } } do
    local id = "r" .. case[1]
    walk(1, { id = id, to_level = case[1] })
    local d = step("approved", { id = id, to_level = case[1], actor_role = "leadership", leadership_approval = "ok" })
    eq(d.verdict, case[2], case[1])
  end
  local d = step("approved", { id = "rsupervisor", to_level = "supervisor", actor_role = "leadership",
                               leadership_approval = "ok" })
  contains(d.explanation, "waits for field 'region_approval' (山东区审批); supervisor (主管) and above")
  eq(step("approved", { id = "rsupervisor", to_level = "supervisor", actor_role = "leadership", leadership_approval = "ok",
                        region_approval = "SD-3" }).verdict, "pass")
end)

test("only the leadership approves or declines; a decline gives its reason", function()
  walk(1)
  contains(step("approved", { actor_role = "hr", leadership_approval = "x" }).explanation,
    "proposed → approved may be made by leadership, not by hu")
  eq(step("declined", { actor_role = "leadership" }).verdict, "hold")
  eq(select(2, step("declined", { actor_role = "leadership", decline_reason = "no vacancy" })).state, "declined")
end)

test("the 3-month trial ends on 1 October and escalates to HR; the trial state stays", function()
  local have = walk(2)
  clock.set("2026-07-01T09:00:00+08:00")
  step("on_trial", merge(have, { actor_role = "hr" }))
  local t = timers("promotion_request", "m1")[1]
  eq({ t.name, t.due }, { "on_trial", "2026-10-02T00:00:00+08:00" })
  clock.set("2026-10-01T23:59:59+08:00")
  eq({ clock.advance("1 second"), get("promotion_request", "m1").state }, { 1, "on_trial" })
end)

test("试用期最长不超过6个月: extended to 1 January 2027 at the latest, then confirmed or reverted", function()
  local have = walk(3)
  local d = step("extended", merge(have, { actor_role = "hr", trial_until = "2027-01-02" }))
  eq(d.verdict, "reject")
  contains(d.explanation, "trial_until 2027-01-02 is past 6 months from effective_on 2026-07-01")
  contains(step("extended", merge(have, { actor_role = "hr" })).explanation, "waits for field 'trial_until'")
  local _, _, o = step("extended", merge(have, { actor_role = "hr", trial_until = "2027-01-01" }))
  eq(o.deadlines[1].name, "extended")
  d = step("reverted", merge(have, { actor_role = "hr", trial_until = "2027-01-01" }))
  contains(d.explanation, "waits for field 'trial_result' (why the trial failed)")
  local _, r = step("reverted", merge(have, { actor_role = "hr", trial_until = "2027-01-01", trial_result = "targets" }))
  eq(r.state, "reverted")
  eq(#timers("promotion_request", "m1"), 0)
end)

test("a level off the ladder is refused, naming the rungs", function()
  fails(function() eval("promotion_request", merge(BASE, { state = "proposed", to_level = "director" })) end,
    [[field 'to_level' must be one of "staff", "team_leader",]])
end)
