-- complaint_flow.lua: the case through every hand, the invalid branch, who acts at each step, the 1 and 2
-- working-day deadlines counted from receipt across the National Day holiday, and their escalation.
local workflow = require "workflow"
local merge = workflow.merge
local AT = "2026-09-30T17:55:00+08:00"   -- the last working day before the holiday
local BASE = { id = "k1", received_at = AT, content = "rude on the phone", actor = "he", actor_role = "hr_admin_manager" }
local BY_SUPERVISOR = { actor = "sun", actor_role = "department_head" }
local STEPS = {
  { "received", {} },
  { "forwarded", { department = "sales", supervisor = "sun" } },
  { "investigating", BY_SUPERVISOR },
  { "plan_drafted", merge(BY_SUPERVISOR, { responsible_person = "zhang", plan = "apologise, refund" }) },
  { "replied", merge(BY_SUPERVISOR, { satisfied = true, reply_record = "OA-77" }) },
  { "return_visited", { feedback = "fine now" } },
  { "archived", { summary = "training for zhang" } },
}

local step, walk = workflow.walker { type = "complaint_handling", base = BASE, steps = STEPS, put = put, get = get }

test("every step in order, each by its hand", function()
  clock.set(AT)
  walk(#STEPS)
  eq(get("complaint_handling", "k1").state, "archived")
  eq(#timers("complaint_handling", "k1"), 0)
end)

test("a complaint that does not stand is answered and closed (投诉不能成立)", function()
  clock.set(AT)
  walk(1)
  local d, r = step("closed_invalid", { invalid_reason = "not our service" })
  eq(d.verdict, "hold")
  contains(d.explanation, "waits for field 'reply' (the answer given to the customer")
  eq(r.state, "received")
  d, r = step("closed_invalid", { invalid_reason = "not our service", reply = "explained the fee" })
  eq(r.state, "closed_invalid")
  eq(#timers("complaint_handling", "k1"), 0)
end)

test("the supervisor named in the case investigates; the manager may not, nor another supervisor", function()
  clock.set(AT)
  local have = walk(2)
  local d = step("investigating", have)
  eq(d.explanation, "complaint k1: forwarded → investigating may be made by the person in field 'supervisor' (sun), " ..
    "not by he; state stays forwarded")
  d = step("investigating", merge(have, { actor = "qian", actor_role = "department_head" }))
  eq(d.verdict, "reject")
  d = step("investigating", merge(have, BY_SUPERVISOR))
  eq(d.verdict, "pass")
end)

test("no step is skipped: received cannot go straight to replied", function()
  clock.set(AT)
  walk(1)
  local d = step("replied", { satisfied = true, reply_record = "x" })
  eq(d.explanation, "complaint k1: received → replied is not allowed; from received: closed_invalid (by " ..
    "hr_admin_manager), forwarded (by hr_admin_manager); state stays received")
end)

test("a reply needs a satisfied customer and the record sent through OA", function()
  clock.set(AT)
  local have = walk(4)
  local d, r = step("replied", merge(have, BY_SUPERVISOR, { satisfied = false, reply_record = "OA-1" }))
  eq(d.verdict, "hold")
  contains(d.explanation, "waits for field 'satisfied' (the customer is satisfied (得到满意回复), true)")
  eq(r.state, "plan_drafted")
end)

test("1 working day to investigate, 2 to reply, from receipt: 17:55 on 30 September → 8 and 9 October", function()
  clock.set(AT)
  local _, _, o = step("received")
  eq(o.deadlines[1].name, "received")
  eq(o.deadlines[1].due, "2026-10-08T18:00:00+08:00")
  local have = walk(2)
  eq(timers("complaint_handling", "k1")[1].due, "2026-10-08T18:00:00+08:00") -- forwarded: the same instant
  clock.set("2026-10-08T17:59:00+08:00")
  _, _, o = step("investigating", merge(have, BY_SUPERVISOR))
  local pend = timers("complaint_handling", "k1")
  eq(#pend, 1)
  eq(pend[1].name, "investigating")
  eq(pend[1].due, "2026-10-09T18:00:00+08:00")
  eq(clock.advance("1 minute"), 0) -- the investigation deadline went with the state
end)

test("overdue: not investigating by the close of day 1 escalates to the HR & admin manager", function()
  clock.set(AT)
  walk(2)
  clock.set("2026-10-08T18:00:00+08:00")
  eq(clock.advance("1 second"), 1)
  eq(get("complaint_handling", "k1").state, "forwarded")
  -- investigating late: the reply deadline (day 2) is armed at once
  local _, _, o = step("investigating", merge({ department = "sales", supervisor = "sun" }, BY_SUPERVISOR))
  eq(o.deadlines[1].due, "2026-10-09T18:00:00+08:00")
  clock.set("2026-10-09T18:00:00+08:00")
  eq(clock.advance("1 second"), 1)
end)

test("received before opening on a working day: that day counts", function()
  clock.set("2026-10-12T08:00:00+08:00")
  local _, _, o = step("received", { received_at = "2026-10-12T08:00:00+08:00" })
  eq(o.deadlines[1].due, "2026-10-12T18:00:00+08:00")
end)

test("a receipt time without its offset is refused, naming the field", function()
  fails(function() eval("complaint_handling", merge(BASE, { state = "received", received_at = "2026-09-30 17:55" })) end,
    "field 'received_at' must be a date and time with its offset")
end)
