-- workflow.lua — a workflow (states, the transitions between them, who may make each, what each requires,
-- deadlines per state) declared as data, and the decision a policy makes with it (docs/workflows.md).
--
--   local workflow = require "workflow"
--   local FLOW = workflow.new {
--     name = "outing", type = "outing_request", -- the record type (its stored version is the previous state)
--     start = { "requested" },                -- the states a new record may begin in
--     states = {
--       requested = { deadline = { after = "1 working day", escalate = "department_manager" } },
--       approved = {}, refused = {}, ...
--     },
--     transitions = {
--       { from = "requested", to = "approved", by = { "department_manager", person = "delegate" },
--         requires = { { "head_signature", label = "the department head's signature" } } },
--       ...
--     },
--   }
--   policy(FLOW:policy { name = "outing_flow", fields = { ... }, decide = function(r, d) FLOW:decide(r, d) end })
--   -- FLOW:policy adds type, order 10, the workflow's fields and its timers (FLOW:fields, FLOW:timers)
--
-- The previous state is the state of the record's stored version (records.get in the same transaction),
-- never a field the writer sends: a record with no stored version is new. The policy keeps its own fields
-- `previous_state` and `state_since` (the instant the state was entered) from the stored version.
-- A transition is made by the person in the record's field `actor`, in the role `actor_role` (other names:
-- who = { person =, role = }). Policies write field = "state" and who = {...} out, so that the lint of
-- `bylaw check` sees the names of the fields the helper reads.
--
-- FLOW:decide(r, d) → from, to, ok
--   - same state: pass, nothing moves (the state's deadline is proposed again, unchanged);
--   - a new record outside `start`, or a transition not declared: reject naming the allowed ones, and the
--     state is set back to the stored one (a refused transition is never stored);
--   - an actor who may not make it: reject naming who may; a failing `check`: its verdict and reason;
--   - a requirement missing: hold naming the field, the state set back until it is given;
--   - otherwise pass: previous_state and state_since set, the old state's deadline cancelled, the new
--     state's armed.
-- Transition keys: from, to, by (a role, a list of roles and/or person = FIELD naming the person allowed,
-- or function(r) returning one of those), requires (field names or { FIELD, label =, when = function(r) }),
-- check = function(r, prev) returning nil or reason [, verdict], when = function(r) (the transition exists
-- only for such records; several may share from → to). State keys: deadline = { after =, from = FIELD
-- (default: entry into the state), escalate = ROLE, calendar = NAME } or { at = FIELD or function(r, since)
-- returning the instant, escalate = ROLE }, overdue = function(r, d, t). A transition without `from` is
-- a start (a new record may begin in its `to`, with its by/requires/check); `start = {...}` lists plain ones.
-- Every sentence is made from M.messages (one place, for translation). workflow.merge(a, b, ...) copies
-- tables into one, later ones winning (a record and its changes, in tests).
local M = {}

local format, concat, type, pairs, ipairs = string.format, table.concat, type, pairs, ipairs

M.messages = {
  moved = "{flow} {id}: {from} → {to} by {actor}",
  started = "{flow} {id}: started in {to} by {actor}",
  unchanged = "{flow} {id}: state {to}, unchanged",
  bad_start = "{flow} {id}: {to} is no start; a new {flow} starts in {allowed}; {tail}",
  stays = "state stays {from}",
  not_stored = "nothing is stored as its state",
  new = "(new)",
  unnamed = "someone unnamed",
  forbidden = "{flow} {id}: {from} → {to} is not allowed; from {from}: {allowed}; {tail}",
  final = "none ({from} is final)",
  who = "{to} (by {by})",
  anyone = "anyone",
  person = "the person in field '{field}'",
  not_by = "{flow} {id}: {from} → {to} may be made by {by}, not by {actor}; {tail}",
  no_actor = "{flow} {id}: {from} → {to} may be made by {by}: field '{role}' or '{person}' names nobody; {tail}",
  missing = "{flow} {id}: {from} → {to} waits for field '{field}' ({label}){note}; {tail}",
  refused = "{flow} {id}: {from} → {to} refused: {reason}; {tail}",
  due = "{state} until {due}",
  overdue = "{flow} {id}: {state} overdue since {due}, escalated to {escalate}",
}

local function say(key, p)
  return (M.messages[key]:gsub("{(%w+)}", function(k)
    local v = p[k]
    return v == nil and "nothing" or tostring(v)
  end))
end
M.say = say

-- A new table with the fields of each table in turn (later ones win): a record and its changes.
function M.merge(...)
  local out = {}
  for i = 1, select("#", ...) do
    for k, v in pairs(select(i, ...) or {}) do out[k] = v end
  end
  return out
end

-- For tests: step(state, extra) puts base + {state} + extra and returns the decision, the stored record and
-- the answer; walk(n, extra) makes steps[1..n] in turn ({state, fields}), each step's fields kept on the
-- record for the next and the base's actor restored at each, raising an error at a step that does not pass;
-- it returns the fields the record has then. spec: { type =, base =, steps =, put = put, get = get }.
function M.walker(spec)
  local function step(state, extra)
    local o = spec.put(spec.type, M.merge(spec.base, { state = state }, extra))
    return o.decisions[1], spec.get(spec.type, o.record.id), o
  end
  local function walk(n, extra)
    local have = M.merge(extra)
    for i = 1, n do
      local s = spec.steps[i]
      have.actor, have.actor_role = spec.base.actor, spec.base.actor_role
      have = M.merge(have, s[2])
      local d = step(s[1], have)
      if d.verdict ~= "pass" then error(format("step %d (%s) did not pass: %s", i, s[1], d.explanation), 2) end
    end
    have.actor, have.actor_role = spec.base.actor, spec.base.actor_role
    return have
  end
  return step, walk
end

local function list_text(items)
  if #items <= 1 then return items[1] or "" end
  return concat(items, ", ", 1, #items - 1) .. " or " .. items[#items]
end

local function given(v)
  return v ~= nil and v ~= false and v ~= ""
end

-- by: nil, "role", { "role", ..., person = "field" } or function(r) returning one of these.
local function by_spec(t, r)
  local by = t.by
  if type(by) == "function" then by = by(r) end
  if type(by) == "string" then by = { by } end
  return by
end

local function by_text(by, r)
  if not by then return M.messages.anyone end
  local parts = {}
  for _, role in ipairs(by) do parts[#parts + 1] = role end
  if by.person then
    local p = say("person", { field = by.person })
    if r and r[by.person] then p = p .. " (" .. tostring(r[by.person]) .. ")" end
    parts[#parts + 1] = p
  end
  return list_text(parts)
end

local function may(by, r, role, person)
  if not by then return true end
  for _, v in ipairs(by) do
    if r[role] == v then return true end
  end
  return by.person ~= nil and given(r[person]) and r[person] == r[by.person]
end

local Flow = {}
Flow.__index = Flow
local START = {} -- the key of the transitions into a new record

local function fail(msg) error("workflow: " .. msg, 3) end

function M.new(spec)
  if type(spec) ~= "table" then fail("workflow.new takes a table") end
  for _, k in ipairs { "name", "type" } do
    if type(spec[k]) ~= "string" then fail(format("'%s' must be a string", k)) end
  end
  if type(spec.states) ~= "table" or next(spec.states) == nil then fail("'states' must name the states") end
  local who = spec.who or {}
  local f = setmetatable({ name = spec.name, type = spec.type, field = spec.field or "state",
                           person = who.person or "actor", role = who.role or "actor_role",
                           states = spec.states, out = {}, order = {} }, Flow)
  for s in pairs(spec.states) do f.out[s] = {} f.order[#f.order + 1] = s end
  table.sort(f.order)
  f.out[START] = {}
  for _, s in ipairs(spec.start or {}) do
    if not spec.states[s] then fail(format("start state '%s' is not one of the states", s)) end
    f.out[START][#f.out[START] + 1] = { to = s }
  end
  for i, t in ipairs(spec.transitions or {}) do
    for _, k in ipairs { "from", "to" } do
      if (k == "to" or t[k] ~= nil) and not spec.states[t[k]] then
        fail(format("transition %d: '%s' state %s is not one of the states", i, k, tostring(t[k])))
      end
    end
    local list = f.out[t.from == nil and START or t.from]
    list[#list + 1] = t
  end
  if #f.out[START] == 0 then fail("'start' (or a transition without 'from') must name at least one state") end
  return f
end

-- The fields the workflow reads, merged into `extra` (the policy's own): the state an enum of the states.
function Flow:fields(extra)
  local out = {}
  for k, v in pairs(extra or {}) do out[k] = v end
  out[self.field] = enum(self.order)
  out[self.person] = "string?"
  out[self.role] = "string?"
  return out
end

-- The transitions from `from` that exist for r (their `when` holds).
function Flow:allowed(from, r)
  local out = {}
  for _, t in ipairs(self.out[from == nil and START or from] or {}) do
    if not t.when or t.when(r) then out[#out + 1] = t end
  end
  return out
end

local function allowed_text(ts, r)
  local parts = {}
  for _, t in ipairs(ts) do parts[#parts + 1] = say("who", { to = t.to, by = by_text(by_spec(t, r), r) }) end
  return concat(parts, ", ")
end

local function instant(v)
  return v and calendar.format(v)
end

-- Proposes the deadline of `state` (if it has one), counted from its `from` field or from `since`.
function Flow:arm(r, d, state, since)
  local dl = self.states[state].deadline
  if not dl then return end
  local due
  if dl.at then
    due = type(dl.at) == "function" and dl.at(r, since) or r[dl.at]
    if due == nil then return end
    due = d:deadline(state, due)
  else
    due = d:deadline(state, { after = dl.after, from = dl.from and r[dl.from] or since, calendar = dl.calendar })
  end
  d:because(say("due", { state = state, due = instant(due) }))
end

-- The workflow's own fields as the stored version has them (the writer's are never taken).
local function keep(d, prev)
  d:set("previous_state", prev and prev.previous_state)
  d:set("state_since", prev and prev.state_since)
end

function Flow:decide(r, d)
  local field = self.field
  local to = r[field]
  local prev = records.get(self.type, r.id)
  local from = prev and prev[field]
  local p = { flow = self.name, id = r.id, from = from, to = to, actor = r[self.person] or r[self.role] or M.messages.unnamed,
              person = self.person, role = self.role }
  p.tail = from == nil and M.messages.not_stored or say("stays", p)
  p.from = from or M.messages.new
  if from == to then
    keep(d, prev)
    d:verdict("pass", say("unchanged", p))
    self:arm(r, d, to, prev.state_since)
    return from, to, true
  end
  local ts, t = self:allowed(from, r)
  for _, c in ipairs(ts) do
    if c.to == to then t = c break end
  end
  if not t then
    d:set(field, from)
    keep(d, prev)
    if from == nil then
      p.allowed = allowed_text(ts, r)
      d:verdict("reject", say("bad_start", p))
    else
      p.allowed = #ts > 0 and allowed_text(ts, r) or say("final", p)
      d:verdict("reject", say("forbidden", p))
    end
    return from, to, false
  end
  local ok = self:admit(t, r, d, prev, p)
  if not ok then
    d:set(field, from)
    keep(d, prev)
    return from, to, false
  end
  local now = instant(bylaw.now())
  d:set("previous_state", from)
  d:set("state_since", now)
  d:verdict("pass", say(from and "moved" or "started", p))
  if from then d:cancel(from) end
  self:arm(r, d, to, now)
  return from, to, true
end

-- Who, what it requires, its check: false after proposing the verdict that says why not.
function Flow:admit(t, r, d, prev, p)
  local by = by_spec(t, r)
  if not may(by, r, self.role, self.person) then
    p.by = by_text(by, r)
    d:verdict("reject", say((given(r[self.person]) or given(r[self.role])) and "not_by" or "no_actor", p))
    return false
  end
  if t.check then
    local reason, verdict = t.check(r, prev)
    if reason then
      p.reason = reason
      d:verdict(verdict or "reject", say("refused", p))
      return false
    end
  end
  local missing = false
  for _, q in ipairs(t.requires or {}) do
    if type(q) == "string" then q = { q } end
    if (not q.when or q.when(r)) and not given(r[q[1]]) then
      p.field, p.label, p.note = q[1], q.label or q[1], q.note and ("; " .. q.note) or ""
      d:verdict("hold", say("missing", p))
      missing = true
    end
  end
  return not missing
end

-- The table for policy{}: spec's keys, with the workflow's type, order 10 unless given (before the policies
-- that read the state), its fields merged into spec.fields and its timers into spec.timers.
function Flow:policy(spec)
  local out = M.merge(spec, { type = self.type, order = spec.order or 10, fields = self:fields(spec.fields) })
  local timers = self:timers(spec.timers)
  if next(timers) then out.timers = timers end
  return out
end

-- The timer handlers, one per state with a deadline (named after the state), merged into `extra`.
function Flow:timers(extra)
  local out = {}
  for k, v in pairs(extra or {}) do out[k] = v end
  for state, s in pairs(self.states) do
    if s.deadline then
      out[state] = function(r, d, t)
        if r[self.field] ~= state then return end
        local esc = s.deadline.escalate
        d:emit("escalation", { workflow = self.name, id = r.id, state = state, due = t.due, to = esc })
        d:verdict("hold", say("overdue", { flow = self.name, id = r.id, state = state, due = t.due,
                                            escalate = esc or "nobody" }))
        if s.overdue then s.overdue(r, d, t) end
      end
    end
  end
  return out
end

return M
