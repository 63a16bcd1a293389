-- _runtime.lua — the engine's Lua half (trusted, not visible to policies): policy{} registration,
-- the read-only record view, the decision builder, and the evaluation of one record. The C host
-- (core/host.c) loads it once per policy set and hands it the primitives in `C`.
local C = ...

local type, pairs, ipairs, next, error, tostring, select = type, pairs, ipairs, next, error, tostring, select
local setmetatable, rawget, mtype, fmt, concat, sort = setmetatable, rawget, math.type, string.format, table.concat, table.sort

local NIL = C.NIL -- marks a field proposed as nil (removed)

local R = { by_type = {}, by_name = {}, list = {} }
local checks_by_type = {} -- the field checks of each type, flattened by R.seal: {name, type, optional, policy}

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

-- Sorts each type's policies: ascending order, ties by name.
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
  checks_by_type = {}
  for rtype, l in pairs(R.by_type) do
    local checks = {}
    for _, p in ipairs(l) do
      for _, f in ipairs(p.fields) do
        checks[#checks + 1] = { name = f.name, type = f.type, optional = f.optional, policy = p }
      end
    end
    checks_by_type[rtype] = checks
  end
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

-- The view of the record under evaluation: proposals (over) first, then the stored fields (base).
-- One shared metatable; the two tables sit in the view under keys no policy can name.
local BASE, OVER = {}, {}
local VIEW = {
  __index = function(v, k)
    local x = rawget(v, OVER)[k]
    if x == nil then x = rawget(v, BASE)[k] elseif x == NIL then return nil end
    if type(x) == "table" then return readonly(x) end
    return x
  end,
  __newindex = ro_newindex,
  __pairs = function(v)
    local base, over = rawget(v, BASE), rawget(v, OVER)
    local phase, t = 1, over
    local function iter(_, k)
      while true do
        local nk, nv = next(t, k)
        if nk == nil then
          if phase == 2 then return nil end
          phase, t, k = 2, base, nil
        elseif phase == 2 and over[nk] ~= nil then
          k = nk
        elseif nv == NIL then
          k = nk
        else
          if type(nv) == "table" then nv = readonly(nv) end
          return nk, nv
        end
      end
    end
    return iter, nil, nil
  end,
  __len = function() return 0 end,
  __metatable = false,
}

local function view(base, over)
  return setmetatable({ [BASE] = base, [OVER] = over }, VIEW)
end

-- The decision builder ----------------------------------------------------------------------------

local SEVERITY = { pass = 1, hold = 2, reject = 3 }
local D = {}
D.__index = D
D.__metatable = false

local function argerr(n, fname, msg) error(fmt("bad argument #%d to '%s' (%s)", n, fname, msg), 3) end

local function add_reason(d, because, n, fname)
  if because == nil then return end
  if type(because) ~= "string" then argerr(n, fname, "reason must be a string, got " .. type(because)) end
  local rs = d.reasons
  if rs then rs[#rs + 1] = because else d.reasons = { because } end
end

local function json_value(v, n, fname, depth)
  local t = type(v)
  if t == "string" or t == "boolean" or t == "number" then
    if t == "number" and (v ~= v or v == math.huge or v == -math.huge) then
      argerr(n, fname, "numbers must be finite")
    end
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

function D:set(field, value, because)
  if type(field) ~= "string" or field == "" then argerr(1, "set", "field name must be a non-empty string") end
  if field == "id" or field == "type" then argerr(1, "set", "'" .. field .. "' cannot be changed") end
  if value ~= nil then json_value(value, 2, "set") end
  add_reason(self, because, 3, "set")
  local v = value == nil and NIL or value
  local ch = self.changes
  if ch then ch[field] = v else self.changes = { [field] = v } end
  self.over[field] = v
end

function D:verdict(v, because)
  if SEVERITY[v] == nil then
    argerr(1, "verdict", fmt("expected \"pass\", \"hold\" or \"reject\", got %s", type(v) == "string" and fmt("%q", v) or type(v)))
  end
  add_reason(self, because, 2, "verdict")
  if self.verdict_ == nil or SEVERITY[v] > SEVERITY[self.verdict_] then self.verdict_ = v end
end

function D:because(text)
  if type(text) ~= "string" then argerr(1, "because", "expected a string, got " .. type(text)) end
  add_reason(self, text, 1, "because")
end

function D:points(subject, n, because, period)
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
  local t = self.points_
  if not t then t = {}; self.points_ = t end
  t[#t + 1] = { subject = subject, points = n, reason = because, period = period }
end

function D:emit(kind, payload)
  if type(kind) ~= "string" or kind == "" then argerr(1, "emit", "event kind must be a non-empty string") end
  if payload ~= nil then
    if type(payload) ~= "table" then argerr(2, "emit", "payload must be a table, got " .. type(payload)) end
    json_value(payload, 2, "emit")
  end
  local t = self.events
  if not t then t = {}; self.events = t end
  t[#t + 1] = { kind = kind, payload = payload }
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
  if type(name) ~= "string" or not name:match(TIMER_NAME) then
    argerr(1, "deadline", "name must be letters, digits, '_', '-' or '.'")
  end
  local due = due_of(when)
  if payload ~= nil then
    if type(payload) ~= "table" then argerr(3, "deadline", "payload must be a table, got " .. type(payload)) end
    json_value(payload, 3, "deadline")
  end
  local t = self.deadlines
  if not t then t = {}; self.deadlines = t end
  t[#t + 1] = { name = name, due = due, payload = payload }
  return due
end

function D:cancel(name)
  if type(name) ~= "string" or not name:match(TIMER_NAME) then
    argerr(1, "cancel", "name must be letters, digits, '_', '-' or '.'")
  end
  local t = self.cancels
  if not t then t = {}; self.cancels = t end
  t[#t + 1] = name
end

local function builder(p, over)
  return setmetatable({ policy = p, over = over }, D)
end

-- Evaluation --------------------------------------------------------------------------------------

local function type_name(v)
  local t = type(v)
  if t == "number" then return mtype(v) == "integer" and "integer" or "number" end
  return t
end


local function check_fields(checks, base)
  for i = 1, #checks do
    local f = checks[i]
    local v = base[f.name]
    local ok
    if v == nil then ok = f.optional
    elseif f.type == "integer" then ok = mtype(v) == "integer" or (mtype(v) == "float" and v == math.floor(v))
    else ok = type(v) == f.type end
    if not ok then
      local p = f.policy
      local got = v == nil and "nothing (the field is missing)" or
        fmt("%s %s", type_name(v), type(v) == "string" and fmt("%q", v) or tostring(v))
      error({ field = f.name, msg = fmt("field '%s' must be %s %s, got %s (needed by policy %s, %s:%d)",
        f.name, f.type == "integer" and "an" or "a", f.type, got, p.name, p.file, p.line) }, 0)
    end
  end
end

-- Hands the proposals of the builders ds back to C, positionally.
local function emit_results(over, ds)
  C.start(over)
  for i = 1, #ds do
    local d = ds[i]
    local p, rs = d.policy, d.reasons
    local name = p.name
    C.decision(name, p.version, d.verdict_, rs and (rs[2] and concat(rs, "; ") or rs[1]) or "", rs, d.changes)
    local t = d.points_
    if t then
      for j = 1, #t do local x = t[j]; C.point(name, x.subject, x.points, x.period, x.reason) end
    end
    t = d.events
    if t then
      for j = 1, #t do local x = t[j]; C.event(name, x.kind, x.payload) end
    end
    t = d.cancels
    if t then
      for j = 1, #t do C.cancel(name, t[j]) end
    end
    t = d.deadlines
    if t then
      for j = 1, #t do local x = t[j]; C.deadline(name, x.name, x.due, x.payload) end
    end
  end
end

function R.evaluate(rtype)
  local base = C.fields()
  local list = R.by_type[rtype]
  local over = {}
  local ds = {}
  if list then
    check_fields(checks_by_type[rtype], base)
    local r = view(base, over)
    for i = 1, #list do
      local p = list[i]
      if p.decide then
        local d = builder(p, over)
        ds[#ds + 1] = d
        C.begin(p.name)
        p.decide(r, d)
      end
    end
    C.begin(nil)
  end
  emit_results(over, ds)
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
  local base = C.fields()
  local over = {}
  local r = view(base, over)
  local d = builder(p, over)
  C.begin(p.name)
  h(r, d, readonly(info))
  C.begin(nil)
  emit_results(over, { d })
end

return R
