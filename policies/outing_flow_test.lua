-- outing_flow.lua: the 17:30 cut-off of the working day before (holidays, weekends, emergencies), the return
-- before closing, who signs for a staff member and for a department manager, the front desk's steps,
-- materials after a meeting or training, and the escalation of an outing not back by its expected time.
local merge = require("workflow").merge
local BASE = {
  id = "o1", employee = "li", employee_level = "staff", outing_date = "2026-10-14",
  expected_return = "2026-10-14T16:00:00+08:00", destination = "client site", purpose = "business",
}

local function out(state, extra)
  local o = put("outing_request", merge(BASE, { state = state }, extra))
  return o.decisions[1], get("outing_request", o.record.id), o
end

-- registered the day before, in time
local function requested(extra)
  clock.set("2026-10-13T10:00:00+08:00")
  return out("requested", extra)
end

-- registered, then approved by a department manager
local function approved(extra)
  requested(extra)
  return out("approved", merge({ actor = "wang", actor_role = "department_manager", approver_signature = "wang" }, extra))
end

test("前一天下午17:30点前: 17:29:59 the day before is in time, 17:30:00 is late", function()
  clock.set("2026-10-13T17:29:59+08:00")
  local d, r = out("requested", { actor = "li" })
  eq(d.verdict, "pass")
  eq(r.state, "requested")
  clock.set("2026-10-13T17:30:00+08:00")
  d, r = out("requested", { id = "o2", actor = "li" })
  eq(d.verdict, "reject")
  eq(d.explanation, "outing o2: (new) → requested refused: registered at 2026-10-13T17:30:00+08:00, not before " ..
    "2026-10-13T17:30:00+08:00 (17:30 of the working day before the outing); an emergency outing says urgent = " ..
    "true; nothing is stored as its state")
  eq(r.state, nil)
end)

test("the day before is the working day before: a Monday outing registers by Friday, after a holiday by the eve", function()
  clock.set("2026-10-16T17:29:00+08:00") -- Friday, for Monday 19 October
  eq(out("requested", { outing_date = "2026-10-19", expected_return = "2026-10-19T11:00:00+08:00" }).verdict, "pass")
  clock.set("2026-10-18T10:00:00+08:00") -- Sunday: too late
  eq(out("requested", { id = "o3", outing_date = "2026-10-19", expected_return = "2026-10-19T11:00:00+08:00" })
    .verdict, "reject")
  clock.set("2026-10-05T10:00:00+08:00") -- National Day holiday, for Thursday 8 October: due 30 September
  local d = out("requested", { id = "o4", outing_date = "2026-10-08", expected_return = "2026-10-08T11:00:00+08:00" })
  contains(d.explanation, "not before 2026-09-30T17:30:00+08:00")
end)

test("an emergency outing may register late (因紧急突发事件)", function()
  clock.set("2026-10-14T08:30:00+08:00")
  local d, r = out("requested", { urgent = true })
  eq(d.verdict, "pass")
  eq(r.state, "requested")
end)

test("预计返回时间应设定在下班时间前: 17:59 is in time, 18:00 and another day are not", function()
  clock.set("2026-10-13T10:00:00+08:00")
  eq(out("requested", { expected_return = "2026-10-14T17:59:00+08:00" }).verdict, "pass")
  local d = out("requested", { id = "o5", expected_return = "2026-10-14T18:00:00+08:00" })
  contains(d.explanation, "expected_return 2026-10-14T18:00:00+08:00 must be on 2026-10-14 before closing time")
  eq(out("requested", { id = "o6", expected_return = "2026-10-15T10:00:00+08:00" }).verdict, "reject")
end)

test("the form: the employee and the destination are named before it is registered", function()
  clock.set("2026-10-13T10:00:00+08:00")
  local d, r = out("requested", { destination = "" })
  eq(d.verdict, "hold")
  contains(d.explanation, "waits for field 'destination'")
  eq(r.state, nil)
end)

test("a staff member's outing: the department manager, a deputy, or the named delegate signs", function()
  for i, who in ipairs { { actor_role = "department_manager" }, { actor_role = "deputy_department_manager" },
                         { actor = "zhao", delegate = "zhao" } } do
    clock.set("2026-10-13T10:00:00+08:00")
    local id = "s" .. i
    out("requested", { id = id })
    who.id, who.approver_signature = id, "signed"
    local d, r = out("approved", who)
    eq(d.verdict, "pass", id)
    eq(r.state, "approved", id)
  end
  out("requested", { id = "s4" })
  local d, r = out("approved", { id = "s4", actor = "zhao", actor_role = "gm", approver_signature = "x" })
  eq(d.verdict, "reject")
  eq(d.explanation, "outing s4: requested → approved may be made by department_manager, deputy_department_manager " ..
    "or the person in field 'delegate', not by zhao; state stays requested")
  eq(r.state, "requested")
end)

test("a department manager's outing: deputy GM or GM; the office director only when the deputy GM is away", function()
  requested({ employee_level = "department_manager" })
  local d = out("approved", { employee_level = "department_manager", actor_role = "department_manager",
                              approver_signature = "x" })
  eq(d.verdict, "reject")
  d = out("approved", { employee_level = "department_manager", actor_role = "office_director", approver_signature = "x" })
  contains(d.explanation, "may be made by deputy_gm or gm, not by office_director")
  d = out("approved", { employee_level = "department_manager", actor_role = "office_director", approver_signature = "x",
                        deputy_gm_absent = true })
  eq(d.verdict, "pass")
end)

test("approval needs the signature; a refusal needs its reason", function()
  requested()
  local d = out("approved", { actor_role = "department_manager" })
  eq(d.verdict, "hold")
  contains(d.explanation, "requested → approved waits for field 'approver_signature'")
  d = out("refused", { actor_role = "department_manager" })
  contains(d.explanation, "requested → refused waits for field 'refusal_reason' (why)")
  local _, r = out("refused", { actor_role = "department_manager", refusal_reason = "not needed" })
  eq(r.state, "refused")
  d = out("out", { actor_role = "front_desk" })
  eq(d.explanation, "outing o1: refused → out is not allowed; from refused: none (refused is final); state stays refused")
end)

test("only the front desk files it and records the return; nobody goes out unapproved", function()
  requested()
  local d = out("out", { actor_role = "front_desk" })
  eq(d.explanation, "outing o1: requested → out is not allowed; from requested: approved (by department_manager, " ..
    "deputy_department_manager or the person in field 'delegate'), refused (by department_manager, " ..
    "deputy_department_manager or the person in field 'delegate'); state stays requested")
  out("approved", { actor_role = "department_manager", approver_signature = "w" })
  eq(out("out", { actor = "li" }).verdict, "reject")
  local _, r = out("out", { actor_role = "front_desk" })
  eq(r.state, "out")
  d = out("returned", { actor_role = "front_desk" })
  contains(d.explanation, "waits for field 'returned_at' (the actual time back")
  _, r = out("returned", { actor_role = "front_desk", returned_at = "2026-10-14T15:40:00+08:00" })
  eq(r.state, "returned")
  eq(r.previous_state, "out")
end)

test("closing after a meeting or training needs its materials; after business it does not", function()
  for _, case in ipairs { { "meeting", "hold" }, { "training", "hold" }, { "business", "pass" }, { "other", "pass" } } do
    local id = "c" .. case[1]
    approved({ id = id, purpose = case[1] })
    out("out", { id = id, purpose = case[1], actor_role = "front_desk" })
    out("returned", { id = id, purpose = case[1], actor_role = "front_desk", returned_at = "2026-10-14T15:00:00+08:00" })
    local d = out("closed", { id = id, purpose = case[1] })
    eq(d.verdict, case[2], case[1])
  end
  local _, r = out("closed", { id = "cmeeting", purpose = "meeting", materials = "minutes" })
  eq(r.state, "closed")
end)

test("not back by the expected return: the outing is overdue and escalates to the office director", function()
  approved()
  clock.set("2026-10-14T09:00:00+08:00")
  local _, _, o = out("out", { actor_role = "front_desk" })
  eq(o.deadlines[1].name, "out")
  eq(o.deadlines[1].due, "2026-10-14T16:00:00+08:00")
  eq(clock.advance("7 hours"), 1)
  eq(get("outing_request", "o1").state, "out")
  -- back in time: the deadline goes with the state
  approved({ id = "o9" })
  clock.set("2026-10-14T09:00:00+08:00")
  out("out", { id = "o9", actor_role = "front_desk" })
  out("returned", { id = "o9", actor_role = "front_desk", returned_at = "2026-10-14T15:00:00+08:00" })
  eq(#timers("outing_request", "o9"), 0)
end)
