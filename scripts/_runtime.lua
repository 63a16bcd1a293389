-- _runtime.lua — the engine's Lua half (trusted, not visible to policies): policy{} registration,
-- the read-only record view, the decision builder, and the evaluation of one record. The C host
-- (core/host.c) loads it once per policy set and hands it the primitives in `C`.
local C = ...

local type, pairs, ipairs, next, error, tostring, select = type, pairs, ipairs, next, error, tostring, select
local setmetatable, rawget, mtype, fmt, concat, sort = setmetatable, rawget, math.type, string.format, table.concat, table.sort

local NIL = C.NIL -- marks a field proposed as nil (removed)

local R = { by_type = {}, by_name = {}, list = {}, closest = C.closest }
local checks_by_type = {} -- the field checks of each type, made by R.seal: {name, type, optional, spec, policy}
local flat_checks = {}    -- the same for C.fields: { name, kind, optional, spec, ... } (core/fields.h)

-- Field types ---------------------------------------------------------------------------------------
-- A field's type is a name ("number", "date?": see KIND) or what the sandbox's enum{}, number{},
-- integer{}, string(n) and optional(t) make (R.TYPES): an opaque value whose spec only the runtime reads.
-- A spec: { base = "enum", kind = KIND.string, optional =, members =, min =, max =, minlen =, maxlen =,
-- text = how it was written }.

local KIND = C.KINDS -- { number = 1, integer = 2, ... }: core/fields.c holds their one definition
local KIND_NAMES = {} -- in KIND's order
for name, k in pairs(KIND) do KIND_NAMES[k] = name end
local KIND_LIST = concat(KIND_NAMES, ", ", 1, #KIND_NAMES - 1) .. " or " .. KIND_NAMES[#KIND_NAMES]
local SPEC = setmetatable({}, { __mode = "k" }) -- type value -> its spec

local function type_value(spec)
  local v = setmetatable({}, {
    __newindex = function() error("a field type cannot be changed", 2) end,
    __tostring = function() return spec.text end,
    __metatable = false,
  })
  SPEC[v] = spec
  return v
end

local function quoted_list(list)
  local q = {}
  for i, s in ipairs(list) do q[i] = fmt("%q", s) end
  return q
end

-- The keys of t other than those listed: an error naming the first, at the constructor's caller.
local function only_keys(t, what, known)
  for k in pairs(t) do
    if not known[k] then
      local names = {}
      for n in pairs(known) do names[#names + 1] = n end
      sort(names)
      error(fmt("%s: unknown key '%s' (known: %s)", what, tostring(k), concat(names, ", ")), 3)
    end
  end
end

local function finite(x) return type(x) == "number" and x == x and x ~= math.huge and x ~= -math.huge end

local TYPES = {}
R.TYPES = TYPES

local function bad(msg) error(msg, 3) end

-- enum{"open", "closed"}: one of these strings.
function TYPES.enum(values)
  if type(values) ~= "table" then error('enum takes a list of strings: enum{"open", "closed"}', 2) end
  local members, seen = {}, {}
  for k in pairs(values) do
    if mtype(k) ~= "integer" then
      error(fmt('enum takes a list of strings, not keys (got key \'%s\'): enum{"open", "closed"}', tostring(k)), 2)
    end
  end
  for i = 1, #values do
    local v = values[i]
    if type(v) ~= "string" then
      error(fmt("enum values must be strings, got %s %s (for numbers: integer{min = , max = })", type(v), tostring(v)), 2)
    end
    if seen[v] then error(fmt("enum lists %q twice", v), 2) end
    seen[v], members[i] = true, v
  end
  if #members == 0 then error('enum needs at least one value: enum{"open", "closed"}', 2) end
  return type_value { base = "enum", kind = KIND.string, members = members,
                      text = "enum{" .. concat(quoted_list(members), ", ") .. "}" }
end

-- number{min = 0}, integer{min = 1, max = 12}: bounds included.
local function ranged(base)
  return function(t)
    if t == nil then t = {} end
    if type(t) ~= "table" then error(fmt("%s takes a table: %s{min = 0, max = 100}", base, base), 2) end
    only_keys(t, base, { min = true, max = true })
    for _, k in ipairs { "min", "max" } do
      if t[k] ~= nil and not finite(t[k]) then error(fmt("%s: %s must be a number, got %s", base, k, tostring(t[k])), 2) end
    end
    if t.min and t.max and t.min > t.max then
      error(fmt("%s: min %s is above max %s", base, tostring(t.min), tostring(t.max)), 2)
    end
    local parts = {}
    if t.min then parts[#parts + 1] = "min = " .. tostring(t.min) end
    if t.max then parts[#parts + 1] = "max = " .. tostring(t.max) end
    return type_value { base = base, kind = KIND[base], min = t.min, max = t.max,
                        text = base .. "{" .. concat(parts, ", ") .. "}" }
  end
end
TYPES.number, TYPES.integer = ranged("number"), ranged("integer")

-- string(200) or string{max = 200, min = 1}: a length in characters. Policies call it as the string
-- library (its __call): the first argument is the library.
function TYPES.string(_, t)
  if mtype(t) == "integer" then t = { max = t } end
  if type(t) ~= "table" then error("string takes the most characters, string(200), or string{min = 1, max = 200}", 2) end
  only_keys(t, "string", { min = true, max = true })
  for _, k in ipairs { "min", "max" } do
    if t[k] ~= nil and (mtype(t[k]) ~= "integer" or t[k] < 0) then
      error(fmt("string: %s must be a whole number of characters, got %s", k, tostring(t[k])), 2)
    end
  end
  if t.min and t.max and t.min > t.max then error(fmt("string: min %d is above max %d", t.min, t.max), 2) end
  local text = t.min and fmt("string{min = %d%s}", t.min, t.max and ", max = " .. t.max or "") or fmt("string(%d)", t.max)
  return type_value { base = "string", kind = KIND.string, minlen = t.min, maxlen = t.max, text = text }
end

-- The spec of a field type t (a name or a type value), or nil and why not.
local function spec_of(t)
  if type(t) == "string" then
    local base, opt = t:match("^(%a+)(%??)$")
    if base and KIND[base] then return { base = base, kind = KIND[base], optional = opt == "?", text = base } end
    if base == "enum" then return nil, 'an enum needs its values: enum{"open", "closed"}' end
    local near = base and C.closest(base, KIND_NAMES)
    return nil, near and fmt("did you mean '%s'?", near) or nil
  end
  local spec = SPEC[t]
  if spec then return spec end
  return nil
end

-- optional(t): the field may be absent (or JSON null). optional("date") is "date?".
function TYPES.optional(t)
  local spec, why = spec_of(t)
  if not spec then error(fmt("optional takes a field type, such as \"date\" or enum{...}%s", why and ": " .. why or ""), 2) end
  local o = {}
  for k, v in pairs(spec) do o[k] = v end
  o.optional, o.text = true, "optional(" .. (type(t) == "string" and fmt("%q", t) or spec.text) .. ")"
  return type_value(o)
end

-- Messages: an explanation in every language ------------------------------------------------------
-- A message is a table { "key", name = value, ... }: a key of a catalog and its parameters. A catalog
-- is declared by a policy (policy{ messages = { en = {...}, ["zh-CN"] = {...} }, labels = {...} }) or by
-- a helper (the global messages{ en =, ["zh-CN"] =, labels = }); a template names its parameters as
-- {name} or {name|filter}: label (the value's label in the language, its code when none in English),
-- code (the label when there is one, else the value as it is: for values that are data, not codes),
-- date (calendar.format in the language), unit (" " and the label, or nothing for false), note (", "
-- and the text, or nothing for false), more ("; " — in Chinese "；" — and the text, or nothing for
-- false), hide (a parameter this language does not show). Numbers show as
-- 5,000,000, a message as a parameter in the same language, anything else as tostring.
local LANGS = { "en", "zh-CN" }
local FILTERS = { label = true, code = true, date = true, unit = true, note = true, more = true, hide = true }
local CATALOG = {}                          -- helpers' messages: key -> { en = parts, ["zh-CN"] = parts }
local LABELS = { en = {}, ["zh-CN"] = {} } -- helpers' labels
R.LANGS = LANGS

-- A template as { text, {name, filter}, text, ... }, and the set "name|filter" of what it uses; or nil, why.
local function parse_template(t)
  local parts, used, at = {}, {}, 1
  while true do
    local i, j, name, filter = t:find("{([%w_]+)|?([%w_]*)}", at)
    local lit = t:sub(at, (i or 0) - 1)
    if lit:find("[{}]") then return nil, fmt("a brace that is not {name} or {name|filter} in %q", t) end
    if lit ~= "" then parts[#parts + 1] = lit end
    if not i then break end
    if filter ~= "" and not FILTERS[filter] then
      return nil, fmt("unknown filter '%s' in {%s|%s} (known: label, code, date, unit, note, more, hide)", filter, name, filter)
    end
    parts[#parts + 1] = { name, filter ~= "" and filter or nil }
    used[name] = true
    at = j + 1
  end
  return parts, used
end

local function sorted_keys(t)
  local l = {}
  for k in pairs(t) do l[#l + 1] = tostring(k) end
  sort(l)
  return l
end

-- Reads a catalog { en = { key = template }, ["zh-CN"] = {...} } into { key = { en = parts, ... } };
-- errors (what: who declares it) name the first difference between the languages.
-- Errors of read_catalog and read_labels, at the line of the policy{} or messages{} that called them.
local function bad_in(msg) error(msg, 4) end

local function read_catalog(msgs, what)
  if type(msgs) ~= "table" then bad_in(fmt("%s: 'messages' must be a table { en = {...}, [\"zh-CN\"] = {...} }", what)) end
  for k in pairs(msgs) do
    if k ~= "en" and k ~= "zh-CN" then bad_in(fmt("%s: messages.%s: the languages are en and zh-CN", what, tostring(k))) end
  end
  local out, used = {}, {}
  for _, lang in ipairs(LANGS) do
    local m = msgs[lang]
    if type(m) ~= "table" then bad_in(fmt("%s: messages[%q] must be a table of key = template", what, lang)) end
    used[lang] = {}
    for key, t in pairs(m) do
      if type(key) ~= "string" or type(t) ~= "string" then
        bad_in(fmt("%s: messages[%q].%s must be a template string", what, lang, tostring(key)))
      end
      local parts, u = parse_template(t)
      if not parts then bad_in(fmt("%s: messages[%q].%s: %s", what, lang, key, u)) end
      out[key] = out[key] or {}
      out[key][lang], used[lang][key] = parts, u
    end
  end
  for key, e in pairs(out) do
    for _, lang in ipairs(LANGS) do
      if not e[lang] then
        bad_in(fmt("%s: message '%s' has no %s text (every message is in %s)", what, key, lang, concat(LANGS, " and ")))
      end
    end
    local a, b = sorted_keys(used.en[key]), sorted_keys(used["zh-CN"][key])
    if concat(a, ",") ~= concat(b, ",") then
      bad_in(fmt("%s: message '%s' has parameters {%s} in en but {%s} in zh-CN (write {name|hide} for one a " ..
        "language does not show)", what, key, concat(a, "}, {"), concat(b, "}, {")))
    end
  end
  return out
end

-- Reads labels { en = { code = "text" }, ["zh-CN"] = {...} } (en may be left out: codes are English).
local function read_labels(labels, what)
  if type(labels) ~= "table" then bad_in(fmt("%s: 'labels' must be a table { [\"zh-CN\"] = { code = \"label\" } }", what)) end
  local out = { en = {}, ["zh-CN"] = {} }
  for lang, l in pairs(labels) do
    if not out[lang] then bad_in(fmt("%s: labels.%s: the languages are en and zh-CN", what, tostring(lang))) end
    if type(l) ~= "table" then bad_in(fmt("%s: labels[%q] must be a table of code = label", what, lang)) end
    for code, text in pairs(l) do
      if type(code) ~= "string" or type(text) ~= "string" then
        bad_in(fmt("%s: labels[%q].%s must be a string", what, lang, tostring(code)))
      end
      out[lang][code] = text
    end
  end
  return out
end

-- messages { en = {...}, ["zh-CN"] = {...}, labels = {...} }: a helper's catalog, shared by the policy
-- set. A key declared twice must say the same.
function TYPES.messages(spec)
  if type(spec) ~= "table" then bad("messages takes a table { en = {...}, [\"zh-CN\"] = {...}, labels = {...} }") end
  local labels = spec.labels
  local cat = read_catalog({ en = spec.en, ["zh-CN"] = spec["zh-CN"] }, "messages")
  for k, e in pairs(cat) do CATALOG[k] = e end
  if labels ~= nil then
    for lang, l in pairs(read_labels(labels, "messages")) do
      for code, text in pairs(l) do LABELS[lang][code] = text end
    end
  end
end

local MSG = {} -- the metatable of message{}: tostring and .. give the English text
-- Messages the engine's helpers (scripts/) make while the files load (a tier's bound) never change with
-- the record: each is rendered once per language (RENDERED), not once per decision. A policy file's
-- own messages are rendered each time: its code may change one between calls. CALLING: a policy call
-- (decide or a timer handler) has begun since the files loaded.
local HELPERS = debug.getinfo(1, "S").source:match("^(.*/)[^/]*$") or "" -- "@<scripts dir>/"
local CALLING = false
local LOADED_MSG = setmetatable({}, { __mode = "k" })
local RENDERED = { en = setmetatable({}, { __mode = "k" }), ["zh-CN"] = setmetatable({}, { __mode = "k" }) }
-- message { "key", name = value, ... }: a message that reads as its English text where a string is
-- expected (helpers return these, and policies may still join them with ..).
function TYPES.message(m)
  if type(m) ~= "table" or type(m[1]) ~= "string" then
    error('message takes a table { "key", name = value, ... }', 2)
  end
  if not CALLING then
    local src = debug.getinfo(2, "S").source
    if src:sub(1, #HELPERS) == HELPERS then LOADED_MSG[m] = true end
  end
  return setmetatable(m, MSG)
end

-- policy{} -----------------------------------------------------------------------------------------

local POLICY_KEYS = { name = true, type = true, order = true, fields = true, decide = true, doc = true,
                      timers = true, messages = true, labels = true }

-- Returns the function that policy files call as `policy { ... }`, bound to one file.
function R.declarer(file, version)
  return function(spec)
    if type(spec) ~= "table" then bad("policy expects a table: policy { name = ..., type = ..., decide = ... }") end
    for k in pairs(spec) do
      if not POLICY_KEYS[k] then
        bad(fmt("policy: unknown key '%s' (known: name, type, order, fields, decide, timers, doc, messages, labels)",
          tostring(k)))
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
    if spec.doc ~= nil and type(spec.doc) ~= "string" then
      bad(fmt("policy '%s': 'doc' must be a string: what the policy encodes, for people", name))
    end
    if spec.fields ~= nil and type(spec.fields) ~= "table" then
      bad(fmt("policy '%s': 'fields' must be a table of name = type", name))
    end
    local fields = {}
    for f, t in pairs(spec.fields or {}) do
      local fspec, why = spec_of(t)
      if type(f) ~= "string" or not fspec then
        bad(fmt("policy '%s': field '%s' has type '%s' (expected %s, with '?' when it may be absent, or " ..
                "enum{...}, number{min =, max =}, integer{...}, string(max), optional(...))%s", name, tostring(f),
                tostring(t), KIND_LIST, why and ": " .. why or ""))
      end
      fields[#fields + 1] = { name = f, type = fspec.base, optional = fspec.optional or false, spec = fspec }
    end
    sort(fields, function(a, b) return a.name < b.name end)
    if R.by_name[name] then
      local o = R.by_name[name]
      bad(fmt("policy '%s' is declared twice (first at %s:%d)", name, o.file, o.line))
    end
    local what = fmt("policy '%s'", name)
    local info = debug.getinfo(2, "l")
    local p = { name = name, type = rtype, order = spec.order or 100, fields = fields, decide = spec.decide,
                timers = spec.timers, doc = spec.doc, file = file, line = info and info.currentline or 0,
                version = version, messages = spec.messages and read_catalog(spec.messages, what),
                labels = spec.labels and read_labels(spec.labels, what) }
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
        checks[#checks + 1] = { name = f.name, type = f.type, optional = f.optional, spec = f.spec, policy = p }
      end
    end
    checks_by_type[rtype] = checks
    local flat = {}
    for _, f in ipairs(checks) do
      local s, c = f.spec, false
      if s.members or s.min or s.max or s.minlen or s.maxlen then
        c = { members = s.members, min = s.min, max = s.max, minlen = s.minlen, maxlen = s.maxlen }
      end
      local n = #flat
      flat[n + 1], flat[n + 2], flat[n + 3], flat[n + 4] = f.name, s.kind, f.optional, c
    end
    flat_checks[rtype] = flat
  end
end

-- The fields the policies of rtype declare, in the order they are checked: { {name=, type=, optional=,
-- policy=name, text=}, ... } (a copy; type: the base name, such as "enum"; text: the type as written,
-- such as 'enum{"open", "closed"}'), or nil when no policy is bound to rtype. For `bylaw repl` and the lint.
function R.fields(rtype)
  local checks = checks_by_type[rtype]
  if not checks then return nil end
  local out = {}
  for i, f in ipairs(checks) do
    out[i] = { name = f.name, type = f.type, optional = f.optional, policy = f.policy.name, text = f.spec.text }
  end
  return out
end

-- The record view ---------------------------------------------------------------------------------

local readonly
local orig_of = setmetatable({}, { __mode = "k" }) -- read-only view -> the table it shows
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
  orig_of[v] = t
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
-- What a policy holds as `d` is an empty proxy: its methods work on the slots of the policy call
-- running now (S, below), an array C reads by position when the evaluation ends (C.finish in
-- core/host.c) and that no policy can reach, so C reads only what these methods checked:
local NAME, VERSION, CHANGES, REASONS, VERDICT, POINTS, EVENTS, DEADLINES, CANCELS, VALUE = 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
local NCHANGES, NREASONS = 11, 12 -- counts, for the limits
-- CHANGES: the field of the one change proposed (its value in VALUE), or, after a second, the list
-- { field, value, field, value, ... } in the order proposed (NIL: removed; a later value for the same
-- field wins); REASONS: the one reason given, or the list { text, ... }; POINTS: { { subject, n,
-- reason, period }, ... }; EVENTS: { { kind, payload }, ... }; DEADLINES: { { name, due, payload,
-- provisional, spec }, ... }; CANCELS: { name, ... }. (A decision usually has one change and one
-- reason: no table for them.)

-- Limits on what one decision may propose: beyond them a policy is told plainly, at its line.
local LIMITS = {
  changes = 500,          -- d:set calls
  entries = 1000,         -- points, events, deadlines, cancels, reasons: each
  text = 64 * 1024,       -- bytes of a reason, a field name, an event kind
  nodes = 100000,         -- values inside one proposed table
  points = 1000000,       -- |points| of one entry
}
R.LIMITS = LIMITS
local MAX_TEXT, MAX_VALUE_TEXT, MAX_CHANGES = LIMITS.text, 16 * LIMITS.text, LIMITS.changes -- (the hot path's)
local LATEST = 253402300799 -- 9999-12-31T23:59:59Z: deadlines fall in the years 1970 to 9999

local SEVERITY = { pass = 1, hold = 2, reject = 3 }
local D = {}
local DMT = { __index = D, __metatable = false }
function DMT.__newindex(_, k)
  error(fmt("the decision builder is read-only: propose with its methods (d:set, d:verdict, ...), not d[%s] = ...",
    type(k) == "string" and fmt("%q", k) or tostring(k)), 2)
end

-- Errors blame the policy's line: the first caller outside this file, however deep the check that
-- found the problem (add_reason, json_value).
local HERE = debug.getinfo(1, "S").source

local OPEN, S -- the proxy and the slots of the policy call running now

local function blame(msg)
  local level = 2 -- error()'s levels: 1 is blame, 2 its caller, ...
  while true do
    local info = debug.getinfo(level, "S")
    if info == nil then
      -- the policy's frame is gone: it ended with a tail call (return d:verdict(...)); name its file
      local p = S and R.by_name[S[NAME]]
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

local function check_text(s, n, fname, what)
  if #s > LIMITS.text then argerr(n, fname, fmt("%s is longer than %d bytes", what, LIMITS.text)) end
end

-- Rendering messages ---------------------------------------------------------------------------------

-- n as explanations print numbers (scripts/fmt.lua's fmt.number): 5000000 -> "5,000,000".
local PAD3 = setmetatable({}, { __index = function(t, i) local s = fmt("%03d", i); t[i] = s; return s end })
local function grouped(i) -- i: an integer, 0 <= i
  if i < 1000 then return tostring(i) end
  return grouped(i // 1000) .. "," .. PAD3[i % 1000]
end
local function number_text(n)
  local i = math.tointeger(n)
  if i and i >= 0 then return grouped(i) end -- (the usual case: one concatenation per group)
  local s = i and tostring(i) or fmt("%.14g", n)
  local sign, int, rest = s:match("^(%-?)(%d+)(.*)$")
  if not int or rest:find("[eEn]") then return s end
  return sign .. int:reverse():gsub("(%d%d%d)", "%1,"):reverse():gsub("^,", "") .. rest
end
R.number_text = number_text

local render

-- The label of code in lang: the policy's, then the helpers'; in English the code itself when none.
-- A policy that declares labels must label every code it shows in Chinese.
local function label_of(code, lang, p, key)
  code = tostring(code)
  local l = (p and p.labels and p.labels[lang][code]) or LABELS[lang][code]
  if l then return l end
  if lang ~= "en" and p and p.labels then
    blame(fmt("message '%s': no %s label for '%s' (add it to the labels of policy '%s', %s:%d)", key, lang, code,
      p.name, p.file, p.line))
  end
  return code
end

local function param_text(v, filter, lang, p, key, depth)
  if filter == nil then -- (most parameters: a number, a text or a message, shown as it is)
    local tv = type(v)
    if tv == "string" then return v end
    if tv == "number" then return number_text(v) end
    if tv == "table" then return render(v, lang, p, depth + 1) end
    return tostring(v)
  end
  if filter == "hide" then return "" end
  if (filter == "unit" or filter == "note" or filter == "more") and v == false then return "" end
  if filter == "label" then return label_of(v, lang, p, key) end
  if filter == "code" then
    local c = tostring(v)
    return (p and p.labels and p.labels[lang][c]) or LABELS[lang][c] or c
  end
  if filter == "unit" then return (lang == "en" and " " or "") .. label_of(v, lang, p, key) end
  if filter == "date" then return R.calendar.format(v, nil, lang) end
  local t
  if type(v) == "number" then t = number_text(v)
  elseif type(v) == "table" then t = render(v, lang, p, depth + 1)
  else t = tostring(v) end
  if filter == "note" then return ", " .. t end
  if filter == "more" then return (lang == "en" and "; " or "；") .. t end
  return t
end

-- A template's parts as one function of the message: its parameters read in order (the first missing
-- one returned as nil, name) and the text made in one concatenation. Made the first time a message
-- of the template renders (a loop over the parts was most of the cost of a decision's reason).
local function compile_parts(parts, lang)
  local src, exprs, n = { "local param_text, lang = ...\nreturn function(m, p, key, depth)\n" }, {}, 0
  for _, part in ipairs(parts) do
    if type(part) == "string" then
      exprs[#exprs + 1] = fmt("%q", part)
    else
      n = n + 1
      src[#src + 1] = fmt("local v%d = m[%q]; if v%d == nil then return nil, %q end\n", n, part[1], n, part[1])
      exprs[#exprs + 1] = fmt("param_text(v%d, %s, lang, p, key, depth)", n, part[2] and fmt("%q", part[2]) or "nil")
    end
  end
  src[#src + 1] = "return " .. (#exprs > 0 and concat(exprs, " .. ") or '""') .. "\nend\n"
  return assert(load(concat(src), "=message template", "t"))(param_text, lang)
end

-- The text of message m in lang, for policy p (its catalog first, then the helpers').
render = function(m, lang, p, depth)
  local fixed = LOADED_MSG[m]
  if fixed then
    local text = RENDERED[lang][m]
    if text then return text end
  end
  local key = m[1]
  if type(key) ~= "string" then blame('a message is a table { "key", name = value, ... }: its first entry is the key') end
  if depth > 8 then blame(fmt("message '%s': messages nested more than 8 deep", key)) end
  local e = (p and p.messages and p.messages[key]) or CATALOG[key]
  if not e then
    local known = sorted_keys(p and p.messages or {})
    blame(fmt("unknown message '%s'%s", key, #known > 0 and " (the policy's: " .. concat(known, ", ") .. ")" or
      " (declare it in policy{ messages = ... })"))
  end
  local fns = e.compiled
  if not fns then fns = {}; e.compiled = fns end
  local f = fns[lang]
  if not f then f = compile_parts(e[lang], lang); fns[lang] = f end
  local text, missing = f(m, p, key, depth)
  if not text then blame(fmt("message '%s' needs the parameter '%s'", key, missing)) end
  if fixed then RENDERED[lang][m] = text end
  return text
end

-- A message's parameters as the store keeps them: nested messages as { key =, params = }.
local function stored(m)
  local params = {}
  for k, v in pairs(m) do
    if k ~= 1 then params[tostring(k)] = type(v) == "table" and stored(v) or v end
  end
  return { key = m[1], params = params }
end

local function running_policy() return S and R.by_name[S[NAME]] end

MSG.__tostring = function(m) return render(m, "en", running_policy(), 0) end
MSG.__concat = function(a, b)
  return (getmetatable(a) == MSG and MSG.__tostring(a) or a) .. (getmetatable(b) == MSG and MSG.__tostring(b) or b)
end
MSG.__metatable = MSG

-- I18N: the other languages of the decision's reasons, once one is a message:
-- { ["zh-CN"] = { text, ... }, messages = { text or { key =, params = }, ... } }, in the reasons' order.
local I18N = 13
local ENGLISH_ONLY = C.ENGLISH_ONLY -- (bylaw eval in English, nothing stored: core/host.h)
-- because: a text (shown as is in every language) or a message; returns the English text.
local function add_reason(because, n, fname)
  if because == nil then return end
  local msg
  if type(because) == "table" and ENGLISH_ONLY then
    because = render(because, "en", running_policy(), 0)
  elseif type(because) == "table" then
    msg = because
    local p = running_policy()
    local zh = render(msg, "zh-CN", p, 0)
    because = render(msg, "en", p, 0)
    local i18n = S[I18N]
    if not i18n then
      local rs = S[REASONS]
      local prior = type(rs) == "table" and { table.unpack(rs) } or { rs }
      i18n = { ["zh-CN"] = { table.unpack(prior) }, messages = prior }
      S[I18N] = i18n
    end
    local zl, ml = i18n["zh-CN"], i18n.messages
    zl[#zl + 1], ml[#ml + 1] = zh, stored(msg)
  elseif type(because) ~= "string" then
    argerr(n, fname, "reason must be a string or a message { \"key\", ... }, got " .. type(because))
  else
    local i18n = S[I18N]
    if i18n then
      local zl, ml = i18n["zh-CN"], i18n.messages
      zl[#zl + 1], ml[#ml + 1] = because, because
    end
  end
  check_text(because, n, fname, "the reason")
  local rs = S[REASONS]
  if rs == nil then S[REASONS] = because
  else
    local k = (S[NREASONS] or 1) + 1
    if k > LIMITS.entries then argerr(n, fname, fmt("a decision takes at most %d reasons", LIMITS.entries)) end
    S[NREASONS] = k
    if type(rs) == "string" then S[REASONS] = { rs, because } else rs[#rs + 1] = because end
  end
  return because
end

-- A proposed value as the engine keeps it: tables copied (raw: no metamethod of the policy's runs;
-- the record's read-only views are read through), finite numbers, at most LIMITS.nodes values and 32
-- levels, keys strings or integers. The copy cannot change after the policy proposed it.
local function json_copy(v, n, fname)
  local count = 0
  local function copy(x, depth)
    local t = type(x)
    if t == "string" then
      if #x > 16 * LIMITS.text then argerr(n, fname, fmt("a text is longer than %d bytes", 16 * LIMITS.text)) end
      return x
    end
    if t == "boolean" then return x end
    if t == "number" then
      if x ~= x or x == math.huge or x == -math.huge then argerr(n, fname, "numbers must be finite") end
      return x
    end
    if x == NIL then return x end
    if t ~= "table" then argerr(n, fname, "value must be a string, number, boolean or table, got " .. t) end
    if depth > 32 then argerr(n, fname, "table nested too deeply") end
    x = orig_of[x] or x
    local out = {}
    for k, y in next, x do
      count = count + 1
      if count > LIMITS.nodes then argerr(n, fname, fmt("a table of more than %d values", LIMITS.nodes)) end
      if type(k) ~= "string" and mtype(k) ~= "integer" then argerr(n, fname, "table keys must be strings or integers") end
      out[k] = copy(y, depth + 1)
    end
    return out
  end
  return copy(v, 0)
end

local function new_entry(slot, n, fname)
  local t = S[slot]
  if not t then t = {}; S[slot] = t; LISTED = true end
  local k = #t + 1
  if k > LIMITS.entries then argerr(n, fname, fmt("a decision takes at most %d of these", LIMITS.entries)) end
  return t, k
end

local HUGE = math.huge

function D:set(field, value, because)
  if self ~= OPEN then closed("set") end
  if type(field) ~= "string" or field == "" then argerr(1, "set", "field name must be a non-empty string") end
  if field == "id" or field == "type" then argerr(1, "set", "'" .. field .. "' cannot be changed") end
  if #field > MAX_TEXT then check_text(field, 1, "set", "the field name") end
  local nchanges = (S[NCHANGES] or 0) + 1
  if nchanges > MAX_CHANGES then argerr(1, "set", fmt("a decision changes at most %d fields", MAX_CHANGES)) end
  S[NCHANGES] = nchanges
  local t = type(value)
  if t == "number" then
    if value ~= value or value == HUGE or value == -HUGE then argerr(2, "set", "numbers must be finite") end
  elseif t == "string" then
    if #value > MAX_VALUE_TEXT then argerr(2, "set", fmt("a text is longer than %d bytes", MAX_VALUE_TEXT)) end
  elseif t ~= "boolean" and t ~= "nil" then
    value = json_copy(value, 2, "set")
    if type(value) == "table" then deepen() end
  end
  if because ~= nil then
    if S[REASONS] == nil and type(because) == "string" and #because <= MAX_TEXT then S[REASONS] = because
    else add_reason(because, 3, "set") end
  end
  local v = value
  if v == nil or v == NIL then v = NIL; value = nil end
  local ch = S[CHANGES]
  if ch == nil then
    S[CHANGES], S[VALUE] = field, v
  elseif type(ch) == "string" then
    S[CHANGES], S[VALUE] = { ch, S[VALUE], field, v }, nil
  else
    local k = #ch
    ch[k + 1], ch[k + 2] = field, v
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
  add_reason(because, 2, "verdict")
  local now = S[VERDICT]
  if now == nil or SEVERITY[v] > SEVERITY[now] then S[VERDICT] = v end
end

function D:because(text)
  if self ~= OPEN then closed("because") end
  if type(text) ~= "string" and type(text) ~= "table" then
    argerr(1, "because", "expected a string or a message { \"key\", ... }, got " .. type(text))
  end
  add_reason(text, 1, "because")
end

function D:points(subject, n, because, period)
  if self ~= OPEN then closed("points") end
  if type(subject) ~= "string" or subject == "" then argerr(1, "points", "subject must be a non-empty string") end
  check_text(subject, 1, "points", "the subject")
  if mtype(n) ~= "integer" then
    if mtype(n) == "float" and n == math.floor(n) and n > -2^53 and n < 2^53 then n = math.tointeger(n)
    else argerr(2, "points", "points must be a whole number, got " .. tostring(n)) end
  end
  if n > LIMITS.points or n < -LIMITS.points then
    argerr(2, "points", fmt("points must be between -%d and %d, got %d", LIMITS.points, LIMITS.points, n))
  end
  if because ~= nil and type(because) ~= "string" and type(because) ~= "table" then
    argerr(3, "points", "reason must be a string or a message")
  end
  if period ~= nil and (type(period) ~= "string" or not period:match("^%d%d%d%d%-[01]%d$")) then
    argerr(4, "points", "period must be \"YYYY-MM\", got " .. tostring(period))
  end
  local t, k = new_entry(POINTS, 1, "points")
  because = add_reason(because, 3, "points")
  t[k] = { subject, n, because, period }
end

function D:emit(kind, payload)
  if self ~= OPEN then closed("emit") end
  if type(kind) ~= "string" or kind == "" then argerr(1, "emit", "event kind must be a non-empty string") end
  check_text(kind, 1, "emit", "the event kind")
  if payload ~= nil then
    if type(payload) ~= "table" then argerr(2, "emit", "payload must be a table, got " .. type(payload)) end
    payload = json_copy(payload, 2, "emit")
  end
  local t, k = new_entry(EVENTS, 1, "emit")
  t[k] = { kind, payload }
end

-- d:deadline(name, when [, payload]): when is seconds since the epoch, ISO 8601 text, or
-- { after = "1 working day", from = instant (default now), calendar = "name" (default "default") }.
-- Returns the due time (seconds) and whether it is provisional (counted past the end of the calendar's
-- holiday schedule, on weekdays: the service computes it again when the schedule is added).
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
    local from = when.from or C.now()
    local due, provisional = cal.add(from, when.after, when.calendar)
    if provisional then
      return due, true, { after = when.after, from = cal.parse(from, when.calendar), calendar = when.calendar }
    end
    return due
  end
  argerr(2, "deadline", "when must be seconds, ISO 8601 text or { after = \"1 working day\", from = ... }")
end

function D:deadline(name, when, payload)
  if self ~= OPEN then closed("deadline") end
  if type(name) ~= "string" or not name:match(TIMER_NAME) or #name > 200 then
    argerr(1, "deadline", "name must be letters, digits, '_', '-' or '.' (200 at most)")
  end
  local due, provisional, spec = due_of(when)
  if type(due) ~= "number" or due ~= due or due < 0 or due > LATEST then
    argerr(2, "deadline", "the deadline must fall in the years 1970 to 9999, got " .. tostring(due))
  end
  if payload ~= nil then
    if type(payload) ~= "table" then argerr(3, "deadline", "payload must be a table, got " .. type(payload)) end
    payload = json_copy(payload, 3, "deadline")
  end
  local t, k = new_entry(DEADLINES, 1, "deadline")
  t[k] = { name, due, payload, provisional or false, spec }
  if provisional then -- the decision says so, in words
    local cal = R.calendar
    local ends = cal.covers_until(spec.calendar)
    add_reason(fmt("deadline %s is provisional: the calendar's holiday schedule ends %s, so it was counted on " ..
      "weekdays; it is computed again when the next year's schedule is added", name,
      ends and cal.date(ends - 1, spec.calendar) or "?"), 2, "deadline")
  end
  return due, provisional or false
end

function D:cancel(name)
  if self ~= OPEN then closed("cancel") end
  if type(name) ~= "string" or not name:match(TIMER_NAME) or #name > 200 then
    argerr(1, "cancel", "name must be letters, digits, '_', '-' or '.' (200 at most)")
  end
  local t, k = new_entry(CANCELS, 1, "cancel")
  t[k] = name
end

-- The proxy a policy holds and the slots C reads: one pair per policy, reused.
local function builder(p)
  local slots = p.slots
  if slots == nil then
    slots = { p.name, p.version, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil }
    p.slots, p.proxy = slots, setmetatable({}, DMT)
  else
    for i = 3, 13 do slots[i] = nil end
  end
  return slots, p.proxy
end

-- Evaluation --------------------------------------------------------------------------------------

-- The words of field errors in each language (administrators meet them: bylaw eval --lang, the
-- service's Accept-Language).
local WORDS = {
  en = {
    number = "a number", integer = "an integer", string = "a string", boolean = "a boolean", table = "a table",
    date = "a date (YYYY-MM-DD)", month = "a month (YYYY-MM)",
    datetime = "a date and time with its offset (such as 2026-10-08T18:00:00+08:00)",
    one_of = "one of %s or %s", list = ", ", range = "%s from %s to %s", min = "%s of at least %s",
    max = "%s of at most %s", lens = "%s of %d to %s", chars = function(n) return n == 1 and "1 character" or n .. " characters" end,
    missing = "nothing (the field is missing)", a_table = "a table", value = "%s %s",
    length = "a string of %d characters, %s", no_day = "%s (no such day)", no_month = "%s (no such month)",
    message = "field '%s' must be %s, got %s (needed by policy %s, %s:%d)",
  },
  ["zh-CN"] = {
    number = "数字", integer = "整数", string = "字符串", boolean = "布尔值", table = "JSON对象或数组",
    date = "日期(YYYY-MM-DD)", month = "月份(YYYY-MM)",
    datetime = "带时区的日期时间(如 2026-10-08T18:00:00+08:00)",
    one_of = "%s或%s之一", list = "、", range = "%s,从%s到%s", min = "%s,不小于%s",
    max = "%s,不大于%s", lens = "%s,%d到%s", chars = function(n) return n .. "个字符" end,
    missing = "空(缺少这个字段)", a_table = "JSON对象或数组", value = "%s %s",
    length = "%d个字符的字符串 %s", no_day = "%s(没有这一天)", no_month = "%s(没有这个月)",
    message = "字段 '%s' 应为%s,实际为%s(策略 %s 需要,%s:%d)",
  },
}

local function type_name(v)
  local t = type(v)
  if t == "number" then return mtype(v) == "integer" and "integer" or "number" end
  return t
end

-- What a value of field type spec must be, in words: "an integer from 1 to 12" (w: WORDS of a language).
local function must_be(s, w)
  if s.members then
    local q = quoted_list(s.members)
    if #q == 1 then return q[1] end
    return fmt(w.one_of, concat(q, w.list, 1, #q - 1), q[#q])
  end
  if s.base == "date" or s.base == "datetime" or s.base == "month" then return w[s.base] end
  local what = w[s.base]
  if s.min and s.max then return fmt(w.range, what, tostring(s.min), tostring(s.max)) end
  if s.min then return fmt(w.min, what, tostring(s.min)) end
  if s.max then return fmt(w.max, what, tostring(s.max)) end
  if s.minlen and s.maxlen then return fmt(w.lens, what, s.minlen, w.chars(s.maxlen)) end
  if s.minlen then return fmt(w.min, what, w.chars(s.minlen)) end
  if s.maxlen then return fmt(w.max, what, w.chars(s.maxlen)) end
  return what
end

-- A value as a message shows it: strings quoted (a long one cut), tables as "a table".
local function shown(v)
  if type(v) == "string" then
    local cut = #v > 80 and utf8.offset(v, 61)
    if cut then return fmt("%q", v:sub(1, cut - 1)):sub(1, -2) .. '..."' end
    return fmt("%q", v)
  end
  if type(v) == "table" then return "a table" end
  return tostring(v)
end

-- The message for check f, which the record's value v fails (why: as C.fields says, core/fields.c), in
-- the language of w.
local function field_message(f, v, why, w)
  local got
  if why == "missing" then got = w.missing
  elseif why == "kind" then
    got = type(v) == "table" and w.a_table or fmt(w.value, w == WORDS.en and type_name(v) or w[type_name(v)], shown(v))
  elseif why == "length" then got = fmt(w.length, utf8.len(v) or #v, shown(v))
  elseif why == "form" and f.spec.base == "date" and v:match("^%d%d%d%d%-%d%d%-%d%d$") then
    got = fmt(w.no_day, shown(v))
  elseif why == "form" and f.spec.base == "month" and v:match("^%d%d%d%d%-%d%d$") then
    got = fmt(w.no_month, shown(v))
  else got = shown(v) end
  local p = f.policy
  return fmt(w.message, f.name, must_be(f.spec, w), got, p.name, p.file, p.line)
end

-- The error for the checks of rtype the record's fields fail: bad is C.fields' { j, why, ... }; every
-- failing field is named, "; " between them (msg; msg_zh: the same in Chinese).
local function field_error(checks, bad, fields)
  local msgs, zh, names = {}, {}, {}
  for i = 1, #bad, 2 do
    local f = checks[bad[i]]
    msgs[#msgs + 1] = field_message(f, fields[f.name], bad[i + 1], WORDS.en)
    zh[#zh + 1] = field_message(f, fields[f.name], bad[i + 1], WORDS["zh-CN"])
    names[#names + 1] = f.name
  end
  error(setmetatable({ field = names[1], fields = names, msg = concat(msgs, "; "), msg_zh = concat(zh, "；") },
    C.INVALID), 0)
end

local DS = {} -- the builders of the evaluation running now, reused

-- Evaluates the record C holds against the policies of rtype, in order; C.finish writes the answer.
function R.evaluate(rtype)
  CALLING = true
  OPEN, S, LISTED, NSETS = nil, nil, false, 0 -- a call that failed left its builder open
  local list = R.by_type[rtype]
  local fields, bad, nested = C.fields(flat_checks[rtype])
  if bad then field_error(checks_by_type[rtype], bad, fields) end
  local n = 0
  if list then
    local r = view_of(fields, nested)
    for i = 1, #list do
      local p = list[i]
      local decide = p.decide
      if decide then
        local slots, d = builder(p)
        n = n + 1
        DS[n] = slots
        C.begin(p.name, p.version)
        OPEN, S = d, slots
        decide(r, d)
      end
    end
    OPEN, S = nil, nil
    view_done()
  end
  C.finish(fields, DS, n, LISTED, SETS, NSETS)
end

-- Runs the handler of timer `tname` of policy `pname` on the record C holds. info: the timer as the
-- handler sees it ({name, due, late, payload}). A handler that no longer exists is an error the
-- engine records on the timer.
function R.fire(pname, tname, info)
  CALLING = true
  local p = R.by_name[pname]
  local h = p and p.timers and p.timers[tname]
  if type(h) ~= "function" then
    error(setmetatable({ field = "timer", msg = fmt("policy '%s' has no handler for timer '%s' (timers = { %s = function(r, d, t) ... end })",
      pname, tname, tname) }, C.INVALID), 0)
  end
  OPEN, S, LISTED, NSETS = nil, nil, false, 0
  local fields, _, nested = C.fields(nil)
  local slots, d = builder(p)
  DS[1] = slots
  C.begin(p.name, p.version)
  OPEN, S = d, slots
  h(view_of(fields, nested), d, readonly(info))
  OPEN, S = nil, nil
  view_done()
  C.finish(fields, DS, 1, LISTED, SETS, NSETS)
end

return R
