-- _runtime.lua — the engine's Lua half (trusted, not visible to policies): policy{} registration,
-- the read-only record view, the decision builder, and the evaluation of one record. The C host
-- (core/host.c) loads it once per policy set and hands it the primitives in `C`.
local C = ...

local type, pairs, ipairs, next, error, tostring, select = type, pairs, ipairs, next, error, tostring, select
local setmetatable, rawget, mtype, fmt, concat, sort = setmetatable, rawget, math.type, string.format, table.concat, table.sort

local NIL = C.NIL -- marks a field proposed as nil (removed)

local R = { by_type = {}, by_name = {}, list = {} }
local checks_by_type = {} -- the field checks of each type, made by R.seal: {name, type, optional, policy}
local flat_checks = {}    -- the same for C.fields: { name, kind, optional, ... }, kind as in KIND
local KIND = { number = 1, integer = 2, string = 3, boolean = 4, table = 5 }

-- policy{} -----------------------------------------------------------------------------------------

local FIELD_TYPES = { number = true, integer = true, string = true, boolean = true, table = true }
local POLICY_KEYS = { name = true, type = true, order = true, fields = true, decide = true, doc = true,
                      timers = true }

local function bad(msg) error(msg, 3) end

-- Returns the function that policy files call as `policy { ... }`, bound to one file.
function R.declarer(file, version)
  return function(spec)
    if type(spec) ~= "table" then bad("policy expects a table: policy { name = ..., type = ..., decide = ... }") end
    for k in pairs(spec) do
      if not POLICY_KEYS[k] then
        bad(fmt("policy: unknown key '%s' (known: name, type, order, fields, decide, timers, doc)", tostring(k)))
      end
    end
    local name, rtype = spec.name, spec.type
    if type(name) ~= "string" or not name:match("^[%w_%.%-]+$") then
      bad("policy: 'name' must be a string of letters, digits, '_', '.' or '-'")
    end
    if type(rtype) ~= "string" or not rtype:match("^[%w_%-]+$") then
      bad(fmt("policy '%s': 'type' must be a record type name such as \"client\"", name))
    end
    if type(spec.decide) ~= "function" and type(spec.timers) ~= "table" then
      bad(fmt("policy '%s': 'decide' must be a function(r, d)", name))
    end
    if spec.timers ~= nil then
      if type(spec.timers) ~= "table" then bad(fmt("policy '%s': 'timers' must be a table of name = function(r, d, t)", name)) end
      for k, v in pairs(spec.timers) do
        if type(k) ~= "string" or type(v) ~= "function" then
          bad(fmt("policy '%s': timers.%s must be a function(r, d, t)", name, tostring(k)))
        end
      end
    end
    if spec.order ~= nil and type(spec.order) ~= "number" then
      bad(fmt("policy '%s': 'order' must be a number", name))
    end
    local fields = {}
    for f, t in pairs(spec.fields or {}) do
      local base, opt = tostring(t):match("^(%a+)(%??)$")
      if type(f) ~= "string" or not FIELD_TYPES[base] then
        bad(fmt("policy '%s': field '%s' has type '%s' (expected number, integer, string, boolean or table, " ..
                "with '?' when it may be absent)", name, tostring(f), tostring(t)))
      end
      fields[#fields + 1] = { name = f, type = base, optional = opt == "?" }
    end
    sort(fields, function(a, b) return a.name < b.name end)
    if R.by_name[name] then
      local o = R.by_name[name]
      bad(fmt("policy '%s' is declared twice (first at %s:%d)", name, o.file, o.line))
    end
    local info = debug.getinfo(2, "l")
    local p = { name = name, type = rtype, order = spec.order or 100, fields = fields, decide = spec.decide,
                timers = spec.timers, file = file, line = info and info.currentline or 0, version = version }
    R.by_name[name] = p
    R.list[#R.list + 1] = p
  end
end

-- Sorts each type's policies: ascending order, ties by name; flattens each type's field checks for
-- C.fields, which runs them.
function R.seal()
  R.by_type = {}
  for _, p in ipairs(R.list) do
    local l = R.by_type[p.type] or {}
    l[#l + 1] = p
    R.by_type[p.type] = l
  end
  for _, l in pairs(R.by_type) do
    sort(l, function(a, b) if a.order ~= b.order then return a.order < b.order end return a.name < b.name end)
  end
  checks_by_type, flat_checks = {}, {}
  for rtype, l in pairs(R.by_type) do
    local checks = {}
    for _, p in ipairs(l) do
      for _, f in ipairs(p.fields) do
        checks[#checks + 1] = { name = f.name, type = f.type, optional = f.optional, policy = p }
      end
    end
    checks_by_type[rtype] = checks
    local flat = {}
    for _, f in ipairs(checks) do
      flat[#flat + 1], flat[#flat + 2], flat[#flat + 3] = f.name, KIND[f.type], f.optional
    end
    flat_checks[rtype] = flat
  end
end

-- The fields the policies of rtype declare, in the order they are checked: { {name=, type=, optional=,
-- policy=name}, ... } (a copy), or nil when no policy is bound to rtype. For `bylaw repl`'s completion.
function R.fields(rtype)
  local checks = checks_by_type[rtype]
  if not checks then return nil end
  local out = {}
  for i, f in ipairs(checks) do
    out[i] = { name = f.name, type = f.type, optional = f.optional, policy = f.policy.name }
  end
  return out
end

-- The record view ---------------------------------------------------------------------------------

local readonly
local ro_cache = setmetatable({}, { __mode = "k" })

local function ro_newindex(_, k)
  error(fmt("the record is read-only: propose a change with d:set(%q, value)", tostring(k)), 2)
end

-- A read-only view of a nested table.
readonly = function(t)
  local v = ro_cache[t]
  if v then return v end
  v = setmetatable({}, {
    __index = function(_, k) local x = t[k]; if type(x) == "table" then return readonly(x) end return x end,
    __newindex = ro_newindex,
    __len = function() return #t end,
    __pairs = function()
      return function(_, k)
        local nk, nv = next(t, k)
        if type(nv) == "table" then nv = readonly(nv) end
        return nk, nv
      end, t, nil
    end,
    __metatable = false,
  })
  ro_cache[t] = v
  return v
end
R.readonly = readonly

-- `cur` holds the fields of the record under evaluation as the policies see them: the stored fields
-- with every change proposed so far applied (d:set writes here as well as in its decision). Policies
-- see it through one of two empty proxies: FLAT, whose __index is `cur` itself (plain reads, no call:
-- records without nested tables), or DEEP, which wraps nested tables read-only. pairs(r) walks a
-- snapshot, so a policy may propose changes while it iterates.
local EMPTY = {}
local cur = EMPTY
-- Every field d:set named in this evaluation (SETS[1..NSETS]): the host reuses the record's table
-- for the next record with the same keys, so C.finish takes the fields that are not the input's out
-- again once the answer is written.
local SETS, NSETS = {}, 0

local function view_pairs(wrap)
  return function()
    local snap = {}
    for k, v in next, cur do snap[k] = v end
    return function(_, k)
      local nk, nv = next(snap, k)
      if wrap and type(nv) == "table" then nv = readonly(nv) end
      return nk, nv
    end, nil, nil
  end
end

local flat_pairs = view_pairs(false)
local FLAT = { __index = EMPTY, __newindex = ro_newindex, __pairs = flat_pairs,
               __len = function() return 0 end, __metatable = false }
local DEEP = {
  __index = function(_, k) local x = cur[k]; if type(x) == "table" then return readonly(x) end return x end,
  __newindex = ro_newindex, __pairs = view_pairs(true), __len = function() return 0 end, __metatable = false,
}
local flat_view, deep_view = setmetatable({}, FLAT), setmetatable({}, DEEP)
local flat_is_deep = false -- FLAT reads like DEEP for the rest of this record (see deepen)

-- Points the views at fields (a fresh table per record); returns the view to hand to policies.
local function view_of(fields, nested)
  cur = fields
  if nested then return deep_view end
  if flat_is_deep then FLAT.__pairs, flat_is_deep = flat_pairs, false end
  FLAT.__index = fields
  return flat_view
end

-- A policy proposed a table: from now on FLAT wraps tables read-only too, so that the policies
-- after it cannot change that proposal through r.
local function deepen()
  FLAT.__index, FLAT.__pairs, flat_is_deep = DEEP.__index, DEEP.__pairs, true
end

local function view_done()
  cur = EMPTY
  FLAT.__index = EMPTY
end

-- The decision builder ----------------------------------------------------------------------------
-- A builder is an array C reads by position when the evaluation ends (C.finish in core/host.c):
local NAME, VERSION, CHANGES, REASONS, VERDICT, POINTS, EVENTS, DEADLINES, CANCELS, VALUE = 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
-- CHANGES: the field of the one change proposed (its value in VALUE), or, after a second, the list
-- { field, value, field, value, ... } in the order proposed (NIL: removed; a later value for the same
-- field wins); REASONS: the one reason given, or the list { text, ... }; POINTS: { { subject, n,
-- reason, period }, ... }; EVENTS: { { kind, payload }, ... }; DEADLINES: { { name, due, payload },
-- ... }; CANCELS: { name, ... }. (A decision usually has one change and one reason: no table for them.)

local SEVERITY = { pass = 1, hold = 2, reject = 3 }
local D = {}
D.__index = D
D.__metatable = false

-- Errors blame the policy's line: the first caller outside this file, however deep the check that
-- found the problem (add_reason, json_value).
local HERE = debug.getinfo(1, "S").source

local OPEN -- the builder of the policy call running now (see below)

local function blame(msg)
  local level = 2 -- error()'s levels: 1 is blame, 2 its caller, ...
  while true do
    local info = debug.getinfo(level, "S")
    if info == nil then
      -- the policy's frame is gone: it ended with a tail call (return d:verdict(...)); name its file
      local p = OPEN and R.by_name[OPEN[1]]
      error(p and (p.file .. ": " .. msg .. " (in a tail call from the policy)") or msg, 0)
    end
    if info.source ~= HERE then break end
    level = level + 1
  end
  error(msg, level)
end

local function argerr(n, fname, msg) blame(fmt("bad argument #%d to '%s' (%s)", n, fname, msg)) end

-- OPEN (declared above): the builder of the policy call running now. Builders are reused (one per
-- policy), so a builder kept past its call must not reach the decision of another policy's call:
-- methods check they are on OPEN.
-- Whether a builder of this evaluation has points, events, deadlines or cancels: C.finish skips
-- looking for them when none has.
local LISTED = false

local function closed(fname)
  blame(fmt("d:%s: this decision builder belongs to a policy call that has returned " ..
            "(use the d your function receives, while it runs)", fname))
end

local function add_reason(d, because, n, fname)
  if because == nil then return end
  if type(because) ~= "string" then argerr(n, fname, "reason must be a string, got " .. type(because)) end
  local rs = d[REASONS]
  if rs == nil then d[REASONS] = because
  elseif type(rs) == "string" then d[REASONS] = { rs, because }
  else rs[#rs + 1] = because end
end

local function json_value(v, n, fname, depth)
  local t = type(v)
  if t == "string" or t == "boolean" then return end
  if t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then argerr(n, fname, "numbers must be finite") end
    return
  end
  if t == "table" then
    if (depth or 0) > 32 then argerr(n, fname, "table nested too deeply") end
    for k, x in pairs(v) do
      if type(k) ~= "string" and mtype(k) ~= "integer" then argerr(n, fname, "table keys must be strings or integers") end
      json_value(x, n, fname, (depth or 0) + 1)
    end
    return
  end
  if v == NIL then return end
  argerr(n, fname, "value must be a string, number, boolean or table, got " .. t)
end

local HUGE = math.huge

function D:set(field, value, because)
  if self ~= OPEN then closed("set") end
  if type(field) ~= "string" or field == "" then argerr(1, "set", "field name must be a non-empty string") end
  if field == "id" or field == "type" then argerr(1, "set", "'" .. field .. "' cannot be changed") end
  local t = type(value)
  if t == "number" then
    if value ~= value or value == HUGE or value == -HUGE then argerr(2, "set", "numbers must be finite") end
  elseif t ~= "string" and t ~= "boolean" and t ~= "nil" then
    json_value(value, 2, "set")
    if t == "table" then deepen() end
  end
  if because ~= nil then
    if self[REASONS] == nil and type(because) == "string" then self[REASONS] = because
    else add_reason(self, because, 3, "set") end
  end
  local v = value
  if v == nil or v == NIL then v = NIL; value = nil end
  local ch = self[CHANGES]
  if ch == nil then
    self[CHANGES], self[VALUE] = field, v
  elseif type(ch) == "string" then
    self[CHANGES], self[VALUE] = { ch, self[VALUE], field, v }, nil
  else
    local n = #ch
    ch[n + 1], ch[n + 2] = field, v
  end
  NSETS = NSETS + 1
  SETS[NSETS] = field
  cur[field] = value
end

function D:verdict(v, because)
  if self ~= OPEN then closed("verdict") end
  if SEVERITY[v] == nil then
    argerr(1, "verdict", fmt("expected \"pass\", \"hold\" or \"reject\", got %s", type(v) == "string" and fmt("%q", v) or type(v)))
  end
  add_reason(self, because, 2, "verdict")
  local now = self[VERDICT]
  if now == nil or SEVERITY[v] > SEVERITY[now] then self[VERDICT] = v end
end

function D:because(text)
  if self ~= OPEN then closed("because") end
  if type(text) ~= "string" then argerr(1, "because", "expected a string, got " .. type(text)) end
  add_reason(self, text, 1, "because")
end

function D:points(subject, n, because, period)
  if self ~= OPEN then closed("points") end
  if type(subject) ~= "string" or subject == "" then argerr(1, "points", "subject must be a non-empty string") end
  if mtype(n) ~= "integer" then
    if mtype(n) == "float" and n == math.floor(n) and n > -2^53 and n < 2^53 then n = math.tointeger(n)
    else argerr(2, "points", "points must be a whole number, got " .. tostring(n)) end
  end
  if because ~= nil and type(because) ~= "string" then argerr(3, "points", "reason must be a string") end
  if period ~= nil and (type(period) ~= "string" or not period:match("^%d%d%d%d%-[01]%d$")) then
    argerr(4, "points", "period must be \"YYYY-MM\", got " .. tostring(period))
  end
  add_reason(self, because, 3, "points")
  local t = self[POINTS]
  if not t then t = {}; self[POINTS] = t; LISTED = true end
  t[#t + 1] = { subject, n, because, period }
end

function D:emit(kind, payload)
  if self ~= OPEN then closed("emit") end
  if type(kind) ~= "string" or kind == "" then argerr(1, "emit", "event kind must be a non-empty string") end
  if payload ~= nil then
    if type(payload) ~= "table" then argerr(2, "emit", "payload must be a table, got " .. type(payload)) end
    json_value(payload, 2, "emit")
  end
  local t = self[EVENTS]
  if not t then t = {}; self[EVENTS] = t; LISTED = true end
  t[#t + 1] = { kind, payload }
end

-- d:deadline(name, when [, payload]): when is seconds since the epoch, ISO 8601 text, or
-- { after = "1 working day", from = instant (default now), calendar = "name" (default "default") }.
local TIMER_NAME = "^[%w_%-%.]+$"

local function due_of(when)
  local t = type(when)
  if t == "number" then return when end
  local cal = R.calendar
  if t == "string" then
    if not cal then argerr(2, "deadline", "ISO instants need the calendar module") end
    return cal.parse(when)
  end
  if t == "table" and type(when.after) == "string" then
    if not cal then argerr(2, "deadline", "durations need the calendar module") end
    return cal.add(when.from or C.now(), when.after, when.calendar)
  end
  argerr(2, "deadline", "when must be seconds, ISO 8601 text or { after = \"1 working day\", from = ... }")
end

function D:deadline(name, when, payload)
  if self ~= OPEN then closed("deadline") end
  if type(name) ~= "string" or not name:match(TIMER_NAME) then
    argerr(1, "deadline", "name must be letters, digits, '_', '-' or '.'")
  end
  local due = due_of(when)
  if payload ~= nil then
    if type(payload) ~= "table" then argerr(3, "deadline", "payload must be a table, got " .. type(payload)) end
    json_value(payload, 3, "deadline")
  end
  local t = self[DEADLINES]
  if not t then t = {}; self[DEADLINES] = t; LISTED = true end
  t[#t + 1] = { name, due, payload }
  return due
end

function D:cancel(name)
  if self ~= OPEN then closed("cancel") end
  if type(name) ~= "string" or not name:match(TIMER_NAME) then
    argerr(1, "cancel", "name must be letters, digits, '_', '-' or '.'")
  end
  local t = self[CANCELS]
  if not t then t = {}; self[CANCELS] = t; LISTED = true end
  t[#t + 1] = name
end

local function builder(p)
  local d = p.builder
  if d == nil then
    d = setmetatable({ p.name, p.version, nil, nil, nil, nil, nil, nil, nil, nil }, D)
    p.builder = d
  else
    d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10] = nil, nil, nil, nil, nil, nil, nil, nil
  end
  return d
end

-- Evaluation --------------------------------------------------------------------------------------

local function type_name(v)
  local t = type(v)
  if t == "number" then return mtype(v) == "integer" and "integer" or "number" end
  return t
end

-- The error for check f (C.fields found the record's field f.name of the wrong type, or missing).
local function field_error(f, fields)
  local v, p = fields[f.name], f.policy
  local got = v == nil and "nothing (the field is missing)" or
    fmt("%s %s", type_name(v), type(v) == "string" and fmt("%q", v) or tostring(v))
  error({ field = f.name, msg = fmt("field '%s' must be %s %s, got %s (needed by policy %s, %s:%d)",
    f.name, f.type == "integer" and "an" or "a", f.type, got, p.name, p.file, p.line) }, 0)
end

local DS = {} -- the builders of the evaluation running now, reused

-- Evaluates the record C holds against the policies of rtype, in order; C.finish writes the answer.
function R.evaluate(rtype)
  OPEN, LISTED, NSETS = nil, false, 0 -- a call that failed left its builder open
  local list = R.by_type[rtype]
  local fields, bad, nested = C.fields(flat_checks[rtype])
  if bad then field_error(checks_by_type[rtype][bad], fields) end
  local n = 0
  if list then
    local r = view_of(fields, nested)
    for i = 1, #list do
      local p = list[i]
      local decide = p.decide
      if decide then
        local d = builder(p)
        n = n + 1
        DS[n] = d
        C.begin(p.name, p.version)
        OPEN = d
        decide(r, d)
      end
    end
    OPEN = nil
    view_done()
  end
  C.finish(fields, DS, n, LISTED, SETS, NSETS)
end

-- Runs the handler of timer `tname` of policy `pname` on the record C holds. info: the timer as the
-- handler sees it ({name, due, late, payload}). A handler that no longer exists is an error the
-- engine records on the timer.
function R.fire(pname, tname, info)
  local p = R.by_name[pname]
  local h = p and p.timers and p.timers[tname]
  if type(h) ~= "function" then
    error({ field = "timer", msg = fmt("policy '%s' has no handler for timer '%s' (timers = { %s = function(r, d, t) ... end })",
      pname, tname, tname) }, 0)
  end
  OPEN, LISTED, NSETS = nil, false, 0
  local fields, _, nested = C.fields(nil)
  local d = builder(p)
  DS[1] = d
  C.begin(p.name, p.version)
  OPEN = d
  h(view_of(fields, nested), d, readonly(info))
  OPEN = nil
  view_done()
  C.finish(fields, DS, 1, LISTED, SETS, NSETS)
end

return R
