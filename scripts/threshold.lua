-- threshold.lua — ordered tiers with lower bounds, and the sentence that explains each pick.
--
--   local threshold = require "threshold"
--   local GRADES = threshold.tiers {
--     field = "annual_revenue",       -- the record field the tiers read; every explanation names it
--     label = "grade",                -- optional: the word before the tier's name (default "tier")
--     unit  = "yuan",                 -- optional: printed after each amount (default: nothing)
--     { "diamond",  5000000 },        -- { name, lower bound }, highest first, bounds strictly descending;
--     { "platinum", 2000000 },        --   a value >= the bound gets the tier (inclusive)...
--     { "mid", 0, exclusive = true }, --   ...or > the bound, with exclusive = true
--   }
--
--   GRADES:pick(value)  → name, because          value reaches a tier
--                       → nil, because           value is below the lowest tier
--     "grade diamond: annual_revenue 5,200,000 >= 5,000,000"      "no grade: annual_revenue 9,999 < 10,000"
--
--   GRADES:scaled(scale [, note])  → tiers       the same tiers with scaled bounds, made once (at load time)
--     scale: a number (every bound × scale) or { tier = factor, ... } (only those tiers' bounds);
--     note: why, printed with the arithmetic:
--     GRADES:scaled({ vip = 0.8 }, "region group 3 coefficient"):pick(8500) →
--       "vip", "grade vip: annual_revenue 8,500 >= 8,000 (10,000 × 0.8, region group 3 coefficient)"
--     A scaled bound within 1e-9 (relative) of a whole number is that number: 10,000 × 0.9 is 9,000.
--     The scaled bounds must still descend. Scaled tiers cannot be scaled again.
--
--   GRADES:pick(value, scale [, note])           the same as GRADES:scaled(scale, note):pick(value), with
--                                                 the scaled tiers cached (keep scale tables constant)
--
-- The because is a message (message{}: see docs/policies.md, "Messages and labels"): given to d:set it
-- reads in English as above and in Chinese through the policy's labels, "钻石客户:年业务收入 5,000,000 ≥
-- 5,000,000"; joined with .. or tostring it is the English text. The bounds' messages are made when the
-- tiers are, so a pick is one loop and one table. Bad arguments are errors at the caller's line, naming
-- the bad entry.
local fmt = require "fmt"

local number, format, type, pairs, tostring, setmetatable = fmt.number, string.format, type, pairs, tostring, setmetatable

messages {
  en = {
    ["threshold.reach"] = "{label} {tier}: {field} {value}{unit|unit} {cmp|label} {bound}",
    ["threshold.below"] = "no {label}: {field} {value}{unit|unit} {cmp|label} {bound}",
    ["threshold.bound"] = "{n}{unit|unit}",
    ["threshold.scaled"] = "{n}{unit|unit} ({base}{unit|unit} × {factor}{note|note})",
  },
  ["zh-CN"] = {
    ["threshold.reach"] = "{label|hide}{tier|label}:{field|label} {value}{unit|unit} {cmp|label} {bound}",
    ["threshold.below"] = "未达{label|label}:{field|label} {value}{unit|unit} {cmp|label} {bound}",
    ["threshold.bound"] = "{n}{unit|unit}",
    ["threshold.scaled"] = "{n}{unit|unit}({base}{unit|unit} × {factor}{note|note})",
  },
  labels = {
    en = { ge = ">=", gt = ">", lt = "<", le = "<=" },
    ["zh-CN"] = { ge = "≥", gt = ">", lt = "<", le = "≤", grade = "等级", tier = "档次", yuan = "元" },
  },
}
local mtype, floor, huge = math.type, math.floor, math.huge

local threshold = {}

local Tiers = {}
Tiers.__index = Tiers

local SPEC_KEYS = { field = true, label = true, unit = true }
local CACHE_MAX = 32 -- scaled tiers kept per tiers by pick(value, scale, note)

local function finite(x) return type(x) == "number" and x == x and x ~= huge and x ~= -huge end

local function show(v)
  if type(v) == "string" then return format("%q", v) end
  if type(v) == "number" then return number(v) end
  return type(v)
end

-- The message of tier i's bound, from t.lowers[i] (and, when scaled, its factor and note).
local function texts(t, i, factor, note)
  local u = t.unit or false
  if factor then
    t.bound[i] = message { "threshold.scaled", n = t.lowers[i], unit = u, base = t.base[i], factor = factor,
                           note = note or false }
  else
    t.bound[i] = message { "threshold.bound", n = t.lowers[i], unit = u }
  end
end

function threshold.tiers(spec)
  local function bad(msg) error("bad argument #1 to 'tiers' (" .. msg .. ")", 3) end
  if type(spec) ~= "table" then bad("table expected, got " .. type(spec)) end
  for k in pairs(spec) do
    if not (SPEC_KEYS[k] or (mtype(k) == "integer" and k >= 1 and k <= #spec)) then
      bad(format("unknown key %s (known: field, label, unit, and the tiers { name, lower } in order)", show(k)))
    end
  end
  if type(spec.field) ~= "string" or spec.field == "" then
    bad("'field' must name the record field the tiers read, got " .. show(spec.field))
  end
  if spec.label ~= nil and (type(spec.label) ~= "string" or spec.label == "") then
    bad("'label' must be a word such as \"grade\", got " .. show(spec.label))
  end
  if spec.unit ~= nil and (type(spec.unit) ~= "string" or spec.unit == "") then
    bad("'unit' must be a word such as \"yuan\", got " .. show(spec.unit))
  end
  local n = #spec
  if n == 0 then bad("no tiers: list them as { name, lower bound }, highest first") end
  local t = setmetatable({
    field = spec.field, label = spec.label or "tier", unit = spec.unit,
    n = n, names = {}, lowers = {}, excl = {}, base = {}, index = {}, bound = {},
  }, Tiers)
  for i = 1, n do
    local e = spec[i]
    if type(e) ~= "table" then bad(format("tier #%d must be a table { name, lower bound }, got %s", i, show(e))) end
    local name, lower = e[1], e[2]
    if type(name) ~= "string" or name == "" then bad(format("tier #%d: the name must be a string, got %s", i, show(name))) end
    local what = format("tier #%d %q", i, name)
    for k in pairs(e) do
      if k ~= 1 and k ~= 2 and k ~= "exclusive" then bad(format("%s: unknown key %s (known: exclusive)", what, show(k))) end
    end
    if not finite(lower) then bad(format("%s: the lower bound must be a finite number, got %s", what, show(lower))) end
    if e.exclusive ~= nil and type(e.exclusive) ~= "boolean" then
      bad(format("%s: 'exclusive' must be true or false, got %s", what, show(e.exclusive)))
    end
    if t.index[name] then bad(format("%s: the name is already tier #%d", what, t.index[name])) end
    if i > 1 and not (lower < t.lowers[i - 1]) then
      bad(format("%s: bounds must descend: %s after %s", what, number(lower), number(t.lowers[i - 1])))
    end
    t.names[i], t.lowers[i], t.excl[i], t.base[i], t.index[name] = name, lower, e.exclusive == true, lower, i
  end
  for i = 1, n do texts(t, i) end
  return t
end

-- A copy of t whose bounds are scaled. Called by t:scaled and t:pick (fname), whose caller errors blame;
-- argn: the position of scale among their arguments.
local function scale_tiers(t, scale, note, fname, argn)
  local function bad(n, msg) error(format("bad argument #%d to '%s' (%s)", n, fname, msg), 4) end
  if t.unscaled then bad(argn, "these tiers are scaled already: scale the tiers threshold.tiers made") end
  local factors = {}
  if type(scale) == "number" then
    if not finite(scale) or scale <= 0 then bad(argn, "the scale must be a positive number, got " .. show(scale)) end
    for i = 1, t.n do factors[i] = scale end
  elseif type(scale) == "table" then
    for name, f in pairs(scale) do
      local i = t.index[name]
      if not i then bad(argn, format("no tier named %s to scale", show(name))) end
      if not finite(f) or f <= 0 then
        bad(argn, format("the factor for %q must be a positive number, got %s", name, show(f)))
      end
      factors[i] = f
    end
  else
    bad(argn, "the scale must be a number or a table { tier = factor }, got " .. type(scale))
  end
  if note ~= nil and type(note) ~= "string" and type(note) ~= "table" then
    bad(argn + 1, "the note must be a string or a message, got " .. type(note))
  end
  local s = setmetatable({
    field = t.field, label = t.label, unit = t.unit, n = t.n, names = t.names, excl = t.excl,
    base = t.base, index = t.index, lowers = {}, bound = {}, unscaled = t,
  }, Tiers)
  for i = 1, t.n do
    local f, b = factors[i], t.lowers[i]
    if f then
      b = b * f
      local w = floor(b + 0.5)
      if b ~= w and (b - w) * (b - w) <= 1e-18 * (w * w > 1 and w * w or 1) then b = w end
      b = math.tointeger(b) or b
    end
    if i > 1 and not (b < s.lowers[i - 1]) then
      bad(argn, format("scaled bounds must still descend: %s %s after %s %s", t.names[i], number(b),
        t.names[i - 1], number(s.lowers[i - 1])))
    end
    s.lowers[i] = b
    texts(s, i, f, f and note or nil)
  end
  return s
end

function Tiers:scaled(scale, note)
  return (scale_tiers(self, scale, note, "scaled", 1))
end

function Tiers:pick(value, scale, note)
  if type(value) ~= "number" or value ~= value then
    error(format("bad argument #1 to 'pick' (%s must be a number, got %s)", self.field,
      type(value) == "number" and "nan" or show(value)), 2)
  end
  local t = self
  if scale ~= nil then
    local cache = self.cache
    if not cache then cache = {}; self.cache, self.cached = cache, 0 end
    local by_note = cache[scale]
    t = by_note and by_note[note or false]
    if not t then
      t = scale_tiers(self, scale, note, "pick", 2)
      if self.cached >= CACHE_MAX then cache = {}; self.cache, self.cached = cache, 0 end
      by_note = cache[scale]
      if not by_note then by_note = {}; cache[scale] = by_note end
      by_note[note or false] = t
      self.cached = self.cached + 1
    end
  end
  local lowers, excl = t.lowers, t.excl
  for i = 1, t.n do
    local b = lowers[i]
    if value > b or (value == b and not excl[i]) then
      return t.names[i], message { "threshold.reach", label = t.label, tier = t.names[i], field = t.field,
                                   value = value, unit = t.unit or false, cmp = excl[i] and "gt" or "ge",
                                   bound = t.bound[i] }
    end
  end
  local n = t.n
  return nil, message { "threshold.below", label = t.label, field = t.field, value = value, unit = t.unit or false,
                        cmp = excl[n] and "le" or "lt", bound = t.bound[n] }
end

-- The lower bound of the named tier (scaled, on a scaled tiers), or nil.
function Tiers:lower(name)
  local i = self.index[name]
  return i and self.lowers[i]
end

return threshold
