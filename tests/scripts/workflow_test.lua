-- workflow_test.lua — scripts/workflow.lua through tests/scripts/flowdemo.lua: the previous state from the
-- stored version, start states, forbidden transitions, who may make one (role, person field), requirements
-- (conditional ones too), checks, deadlines per state and their escalation, bad declarations.
local workflow = require "workflow"

local function step(state, extra)
  local rec = { id = "q1", state = state }
  for k, v in pairs(extra or {}) do rec[k] = v end
  local out = put("request", rec)
  return out.decisions[1], get("request", "q1"), out
end

test("a new record starts in a start state; elsewhere it is refused and no state is stored", function()
  local dec, rec = step("approved", { actor = "li", previous_state = "submitted", state_since = "2026-01-01" })
  eq(dec.verdict, "reject")
  eq({ rec.previous_state, rec.state_since }, {}) -- the writer's are never stored
  eq(dec.explanation, "request q1: approved is no start; a new request starts in draft (by anyone), " ..
    "submitted (by anyone); nothing is stored as its state")
  eq(rec.state, nil)
  dec, rec = step("draft", { actor = "li" })
  eq(dec.verdict, "pass")
  eq(dec.explanation, "request q1: started in draft by li")
  eq(rec.state, "draft")
  eq(rec.previous_state, nil)
end)

test("the previous state is the stored one, never a field the writer sends", function()
  step("draft", { actor = "li" })
  local dec, rec = step("submitted", { actor = "li", previous_state = "approved", state_since = "x" })
  eq(dec.verdict, "pass")
  contains(dec.explanation, "request q1: draft → submitted by li")
  eq(rec.previous_state, "draft")
  ok(rec.state_since:match("^%d%d%d%d%-%d%d%-%d%dT"))
  -- saved again in the same state: nothing moves, its own fields are kept
  dec, rec = step("submitted", { actor = "wu", note = "called" })
  eq(dec.explanation:match("^[^;]*"), "request q1: state submitted, unchanged")
  eq(rec.previous_state, "draft")
end)

test("a forbidden transition is a reject naming the allowed ones, and the state stays", function()
  step("submitted", { actor = "li" })
  local dec, rec = step("done", { actor = "li", delegate = "zhao" })
  eq(dec.verdict, "reject")
  eq(dec.explanation, "request q1: submitted → done is not allowed; from submitted: approved (by manager or " ..
    "the person in field 'delegate' (zhao)), refused (by manager); state stays submitted")
  eq(rec.state, "submitted")
  eq(#timers("request", "q1"), 1) -- the submitted deadline is still pending
end)

test("a final state allows nothing", function()
  step("submitted", { actor = "li" })
  step("refused", { actor_role = "manager", reason = "no budget" })
  local dec = step("approved", { actor_role = "manager", signature = "s" })
  eq(dec.explanation, "request q1: refused → approved is not allowed; from refused: none (refused is final); " ..
    "state stays refused")
end)

test("who: a role, or the person a field names; nobody named is refused too", function()
  step("submitted", { actor = "li" })
  local dec, rec = step("approved", { actor = "li", actor_role = "staff", signature = "s" })
  eq(dec.verdict, "reject")
  eq(dec.explanation, "request q1: submitted → approved may be made by manager or the person in field " ..
    "'delegate', not by li; state stays submitted")
  eq(rec.state, "submitted")
  dec = step("approved", { signature = "s" })
  contains(dec.explanation, "field 'actor_role' or 'actor' names nobody")
  dec, rec = step("approved", { actor = "zhao", delegate = "zhao", signature = "s" })
  eq(dec.verdict, "pass")
  eq(rec.state, "approved")
end)

test("a missing requirement holds naming the field; a conditional one only when it applies", function()
  step("submitted", { actor = "li" })
  local dec, rec = step("approved", { actor_role = "manager", cost = 1000.5 })
  eq(dec.verdict, "hold")
  contains(dec.explanation, "submitted → approved waits for field 'signature' (the manager's signature)")
  contains(dec.explanation, "waits for field 'quote' (a quote); cost over 1,000; state stays submitted")
  eq(rec.state, "submitted")
  dec = step("approved", { actor_role = "manager", cost = 1000, signature = "" })
  eq(dec.explanation, "request q1: submitted → approved waits for field 'signature' (the manager's signature); " ..
    "state stays submitted")
  dec, rec = step("approved", { actor_role = "manager", cost = 1000, signature = "wang" })
  eq(dec.verdict, "pass")
  eq(rec.state, "approved")
end)

test("a check refuses with its reason; a when hides a transition", function()
  step("submitted", { actor = "li" })
  local dec = step("refused", { actor_role = "manager" })
  eq(dec.explanation, "request q1: submitted → refused refused: a refusal gives its reason (field 'reason'); " ..
    "state stays submitted")
  step("approved", { actor_role = "manager", signature = "s", due_from = "2026-10-01T10:00:00+08:00" })
  dec = step("done", { blocked = true, due_from = "2026-10-01T10:00:00+08:00" })
  eq(dec.explanation, "request q1: approved → done is not allowed; from approved: none (approved is final); " ..
    "state stays approved")
end)

test("deadlines per state: armed on entry, cancelled on leaving, escalated when overdue", function()
  clock.set("2026-10-12T10:00:00+08:00")
  local _, _, out = step("submitted", { actor = "li" })
  eq(out.deadlines[1].name, "submitted")
  eq(out.deadlines[1].due, "2026-10-14T10:00:00+08:00")
  contains(out.decisions[1].explanation, "submitted until 2026-10-14T10:00:00+08:00")
  clock.set("2026-10-13T10:00:00+08:00")
  step("submitted", { actor = "li", note = "again" }) -- counted from entry, not from the re-save
  eq(timers("request", "q1")[1].due, "2026-10-14T10:00:00+08:00")
  eq(clock.advance("1 day"), 1)
  local l = get("request", "q1")
  eq(l.state, "submitted")
  -- leaving the state cancels its deadline; the next one counts from the field it names
  clock.set("2026-10-15T10:00:00+08:00")
  _, _, out = step("approved", { actor_role = "manager", signature = "s", due_from = "2026-10-01T10:00:00+08:00" })
  local pend = timers("request", "q1")
  eq(#pend, 1)
  eq(pend[1].name, "approved")
  eq(pend[1].due, "2026-10-11T10:00:00+08:00")
end)

test("an overdue state escalates with an event naming the state and the role", function()
  clock.set("2026-10-12T10:00:00+08:00")
  step("submitted", { actor = "li" })
  clock.set("2026-10-14T10:00:01+08:00")
  eq(clock.advance("1 second"), 1)
  eq(ledger("li", "2026-10").total, -1) -- the state's own overdue handler ran after the escalation
  eq(get("request", "q1").state, "submitted")
  eq(clock.advance("3 days"), 0) -- once
end)

test("bad declarations are errors naming what is wrong", function()
  fails(function() workflow.new { name = "x", type = "x", states = { a = {} } } end,
    "'start' (or a transition without 'from') must name at least one state")
  fails(function() workflow.new { name = "x", type = "x", states = { a = {} }, start = { "b" } } end,
    "start state 'b' is not one of the states")
  fails(function()
    workflow.new { name = "x", type = "x", states = { a = {} }, start = { "a" }, transitions = { { from = "a", to = "c" } } }
  end, "transition 1: 'to' state c is not one of the states")
  fails(function() workflow.new { type = "x" } end, "'name' must be a string")
end)

test("messages are one table of English sentences with named parameters", function()
  eq(workflow.say("moved", { flow = "f", id = 1, from = "a", to = "b", actor = "li" }), "f 1: a → b by li")
  ok(workflow.messages.forbidden:find("{allowed}", 1, true))
end)

test("walker: steps in turn, each step's fields kept, an error at a step that does not pass", function()
  local step, walk = workflow.walker { type = "request", base = { id = "w1", actor = "li" }, put = put, get = get,
    steps = { { "submitted", {} }, { "approved", { actor_role = "manager", signature = "s" } }, { "done", {} } } }
  local have = walk(2)
  eq(have.signature, "s")
  eq(have.actor_role, nil) -- the base's actor is back for the next step
  eq(get("request", "w1").state, "approved")
  local d, r = step("done", { blocked = true })
  eq(d.verdict, "reject")
  eq(r.state, "approved")
  local err = fails(function() walk(3, { id = "w2", blocked = true }) end)
  contains(err, "step 3 (done) did not pass: request w2: approved → done is not allowed")
end)
