-- dtable.lua — decision tables: rules of conditions on record fields, a hit policy, and for every rule
-- that matches a sentence saying why ("rule 2 'minor': age 17 < 18").
--
--   local dtable = require "dtable"
--   local SCREEN = dtable.new {
--     name   = "disqualifiers",              -- optional: names the table in errors
--     hit    = "collect",                    -- "first" | "unique" | "collect" (see below)
--     inputs = { "criminal_record", "age" }, -- the fields the rules test, in the order explanations name them
--     rules  = {
--       { "criminal record", when = { criminal_record = true },  out = "reject" },
--       { "minor",           when = { age = "< 18" },            out = "reject" },
--       { "otherwise",                                           out = "pass" },  -- no `when`: always
--     },
--   }
--
-- A rule is { NAME, when = { field = CONDITION, ... }, out = VALUE }. Every condition must hold (and);
-- a field not in `when` is not tested. `out` is what the rule outputs (any value; default: its name).
-- Outputs are returned as they are: do not modify them.
--
-- CONDITION, on the value v of the field (v is nil when the field is absent):
--   true, false, 12, ...   v equals it                                  "criminal_record is true"
--   { "middle", "senior" } v equals one of them                         "level is senior (one of middle, senior)"
--   "< N"  "<= N"  "> N"  ">= N"   v is a number and compares so        "age 17 < 18"
--   "[A, B)"  "[A, B]"  "(A, B)"  "(A, B]"   v is a number in the interval ("[" includes A, ")" excludes B)
--                                                                       "total 1,500,000 in [1,000,000, 3,000,000)"
--   "== X"  "~= X"          X a number, true, false or text (bare or in quotes): v == X, v ~= X
--                                                                       "level is senior", "consent is absent (not true)"
--   "absent"  "present"     v == nil, v ~= nil                          "consent is absent"
--   "-"                     any value (the same as leaving the field out)
--   function(v, r)          true when the condition holds, and optionally the sentence that says so
--                                                                       (default "field is 17 (the rule's test holds)")
-- N, A and B are Lua numbers (18, 5000000, 5e6). A comparison with a value that is not a number is false.
--
--   t:eval(r) with hit "first":   out, because, name    of the first rule that matches, in order
--             with hit "unique":  the same; two or more matches are an error naming them
--             either, no match:   nil, "no rule matched: criminal_record is false, age 30"
--             with hit "collect": outs, becauses, names  arrays over every rule that matches, in order
--                                                        (empty when none does); becauses[i] explains outs[i]
--
-- Each because is a message (message{}: docs/policies.md, "Messages and labels"): its English text is the
-- sentence above (tostring or ..), and in Chinese it reads through the policy's labels of the rule names,
-- the fields and the values ("规则2「minor」:age 17 < 18" without labels).
--
-- The table is checked when it is made: an unknown input, a condition that does not parse or a
-- repeated rule name is an error at the line of dtable.new.
local fmt = require "fmt"

messages {
  en = {
    ["dtable.rule"] = "rule {n} '{rule}': {conds}",
    ["dtable.always"] = "always applies",
    ["dtable.and"] = "{a} and {b}",
    ["dtable.list"] = "{a}, {b}",
    ["dtable.is"] = "{field} is {value}",
    ["dtable.one_of"] = "{field} is {value} (one of {list})",
    ["dtable.not"] = "{field} is {value} (not {other})",
    ["dtable.cmp"] = "{field} {value} {op} {bound}",
    ["dtable.in"] = "{field} {value} in {interval}",
    ["dtable.holds"] = "{field} is {value} (the rule's test holds)",
    ["dtable.none"] = "no rule matched: {values}",
  },
  ["zh-CN"] = {
    ["dtable.rule"] = "规则{n}「{rule|label}」:{conds}",
    ["dtable.always"] = "总是适用",
    ["dtable.and"] = "{a}且{b}",
    ["dtable.list"] = "{a},{b}",
    ["dtable.is"] = "{field|label}为{value|code}",
    ["dtable.one_of"] = "{field|label}为{value|code}(属于{list})",
    ["dtable.not"] = "{field|label}为{value|code}(不是{other|code})",
    ["dtable.cmp"] = "{field|label} {value} {op|label} {bound}",
    ["dtable.in"] = "{field|label} {value} 在区间 {interval}",
    ["dtable.holds"] = "{field|label}为{value|code}(规则的判断成立)",
    ["dtable.none"] = "没有规则适用:{values}",
  },
  labels = { ["zh-CN"] = { ["<"] = "<", [">"] = ">", ["<="] = "≤", [">="] = "≥", absent = "未填", ["true"] = "是", ["false"] = "否" } },
}

local number, format, type, pairs, ipairs, tonumber, concat, setmetatable =
  fmt.number, string.format, type, pairs, ipairs, tonumber, table.concat, setmetatable
local mtype = math.type

local dtable = {}

local Table = {}
Table.__index = Table

local HITS = { first = true, unique = true, collect = true }
local SPEC_KEYS = { name = true, hit = true, inputs = true, rules = true }

-- How a value reads in an explanation.
local function show(v)
  local t = type(v)
  if t == "number" then return number(v) end
  if t == "string" then return v end
  if v == nil then return "absent" end
  if t == "boolean" then return tostring(v) end
  return "a " .. t
end

local function quoted(v)
  if type(v) == "string" then return format("%q", v) end
  if type(v) == "number" then return number(v) end
  return tostring(v)
end

-- Comparisons: test, and the operator as explanations print it.
local CMP = {
  ["<"]  = function(x) return function(v) return type(v) == "number" and v < x end end,
  ["<="] = function(x) return function(v) return type(v) == "number" and v <= x end end,
  [">"]  = function(x) return function(v) return type(v) == "number" and v > x end end,
  [">="] = function(x) return function(v) return type(v) == "number" and v >= x end end,
}

-- The operand of == / ~=: a number, true, false, or text (quotes optional).
local function operand(s)
  local n = tonumber(s)
  if n then return n end
  if s == "true" then return true end
  if s == "false" then return false end
  local q = s:match('^"(.*)"$') or s:match("^'(.*)'$")
  if q then return q end
  if s ~= "" and not s:find("[\"']") then return s end
  return nil
end

-- A message { key, field =, value = show(v), ... } whose other parameters are fixed when the condition is
-- compiled.
local function says(key, field, extra)
  return function(v)
    local m = { key, field = field, value = show(v) }
    if extra then for k, x in pairs(extra) do m[k] = x end end
    return message(m)
  end
end

-- Compiles one condition into { test = function(v, r) -> ok [, text], say = function(v) -> message }:
-- when the test holds, the explanation is say(v) (or the text the function returned).
-- Returns nil, why when the condition does not parse.
local function compile(field, c)
  local tc = type(c)
  if tc == "boolean" or tc == "number" then
    return { test = function(v) return v == c end, say = says("dtable.is", field) }
  end
  if tc == "function" then
    return { test = c, fn = true, say = says("dtable.holds", field) }
  end
  if tc == "table" then
    local set, parts = {}, {}
    for i, x in ipairs(c) do
      if type(x) ~= "string" and type(x) ~= "number" and type(x) ~= "boolean" then
        return nil, format("value #%d of the list is a %s (expected text, numbers or booleans)", i, type(x))
      end
      set[x] = true
      parts[i] = show(x)
    end
    if #parts == 0 then return nil, "the list of values is empty" end
    for k in pairs(c) do
      if mtype(k) ~= "integer" or k < 1 or k > #c then return nil, "the list of values has a key " .. quoted(k) end
    end
    return { test = function(v) return v ~= nil and set[v] == true end,
             say = says("dtable.one_of", field, { list = concat(parts, ", ") }) }
  end
  if tc ~= "string" then return nil, "a condition is a value, a list, a string or a function, not a " .. tc end

  local s = c:match("^%s*(.-)%s*$")
  if s == "-" then return false end -- any value: no test
  if s == "absent" then return { test = function(v) return v == nil end, say = says("dtable.is", field) } end
  if s == "present" then return { test = function(v) return v ~= nil end, say = says("dtable.is", field) } end

  local op, rest = s:match("^([<>]=?)%s*(.-)$")
  if op then
    local x = tonumber(rest)
    if not x then return nil, format("%q: %s needs a number after it", c, op) end
    return { test = CMP[op](x), say = says("dtable.cmp", field, { op = op, bound = x }) }
  end

  op, rest = s:match("^([=~]=)%s*(.-)$")
  if op then
    local x = operand(rest)
    if x == nil then return nil, format("%q: %s needs a number, true, false or text after it", c, op) end
    if op == "==" then
      return { test = function(v) return v == x end, say = says("dtable.is", field) }
    end
    return { test = function(v) return v ~= x end, say = says("dtable.not", field, { other = show(x) }) }
  end

  local lo_b, a, b, hi_b = s:match("^([%[%(])%s*([^,%s]+)%s*,%s*([^,%s%]%)]+)%s*([%]%)])$")
  if lo_b then
    local lo, hi = tonumber(a), tonumber(b)
    if not lo or not hi then return nil, format("%q: an interval needs two numbers, as in \"[10, 20)\"", c) end
    if lo > hi or (lo == hi and (lo_b == "(" or hi_b == ")")) then
      return nil, format("%q: the interval is empty", c)
    end
    local lo_in, hi_in = lo_b == "[", hi_b == "]"
    return {
      test = function(v)
        return type(v) == "number" and (v > lo or (lo_in and v == lo)) and (v < hi or (hi_in and v == hi))
      end,
      say = says("dtable.in", field, { interval = lo_b .. number(lo) .. ", " .. number(hi) .. hi_b }),
    }
  end
  if s:match("^[%w_]") then
    return nil, format("%q is not a condition: to test for that text write \"== %s\" or { %q }", c, s, s)
  end
  return nil, format("%q is not a condition (expected \"< N\", \"<= N\", \"> N\", \">= N\", \"== X\", \"~= X\", " ..
    "\"[A, B)\", \"absent\", \"present\" or \"-\")", c)
end

function dtable.new(spec)
  local function bad(msg) error("bad argument #1 to 'new' (" .. msg .. ")", 3) end
  if type(spec) ~= "table" then bad("table expected, got " .. type(spec)) end
  for k in pairs(spec) do
    if not SPEC_KEYS[k] then bad(format("unknown key %s (known: name, hit, inputs, rules)", quoted(k))) end
  end
  if spec.name ~= nil and type(spec.name) ~= "string" then bad("'name' must be a string, got " .. type(spec.name)) end
  if not HITS[spec.hit] then
    bad(format("'hit' must be \"first\", \"unique\" or \"collect\", got %s", quoted(spec.hit)))
  end
  if type(spec.inputs) ~= "table" or #spec.inputs == 0 then
    bad("'inputs' must list the fields the rules test, as in inputs = { \"age\", \"level\" }")
  end
  local column = {}
  for i, f in ipairs(spec.inputs) do
    if type(f) ~= "string" or f == "" then bad(format("input #%d must be a field name, got %s", i, quoted(f))) end
    if column[f] then bad(format("input %q is listed twice", f)) end
    column[f] = i
  end
  if type(spec.rules) ~= "table" or #spec.rules == 0 then bad("'rules' must list at least one rule") end

  local t = setmetatable({ name = spec.name, hit = spec.hit, inputs = spec.inputs, n = #spec.rules, rules = {} }, Table)
  local seen = {}
  for i, rule in ipairs(spec.rules) do
    if type(rule) ~= "table" then bad(format("rule #%d must be a table { name, when = {...}, out = ... }", i)) end
    local name = rule[1]
    if type(name) ~= "string" or name == "" then
      bad(format("rule #%d needs a name first, as in { \"minor\", when = {...} }, got %s", i, quoted(name)))
    end
    local what = format("rule %d '%s'", i, name)
    if seen[name] then bad(format("%s: the name is already rule %d", what, seen[name])) end
    seen[name] = i
    for k in pairs(rule) do
      if k ~= 1 and k ~= "when" and k ~= "out" then bad(format("%s: unknown key %s (known: when, out)", what, quoted(k))) end
    end
    if rule.when ~= nil and type(rule.when) ~= "table" then bad(format("%s: 'when' must be a table", what)) end
    local tests = {}
    for field, c in pairs(rule.when or {}) do
      if not column[field] then
        bad(format("%s: %s is not an input (inputs: %s)", what, quoted(field), concat(spec.inputs, ", ")))
      end
      local test, err = compile(field, c)
      if test == nil then bad(format("%s: condition on %s: %s", what, field, err)) end
      if test then
        test.field, test.col = field, column[field]
        tests[#tests + 1] = test
      end
    end
    table.sort(tests, function(x, y) return x.col < y.col end) -- explanations follow the inputs' order
    local out = rule.out
    if out == nil then out = name end
    t.rules[i] = { name = name, tests = tests, out = out, n = i }
  end
  return t
end

-- The explanation of rule e on record r (a message), or nil when e does not match.
local function match(e, r)
  local tests = e.tests
  local n = #tests
  if n == 0 then return message { "dtable.rule", n = e.n, rule = e.name, conds = { "dtable.always" } } end
  local parts
  for i = 1, n do
    local c = tests[i]
    local v = r[c.field]
    local ok, text = c.test(v, r)
    if not ok then return nil end
    if not (c.fn and (type(text) == "string" or type(text) == "table")) then text = c.say(v) end
    parts = parts or {}
    parts[i] = text
  end
  local conds = parts[n]
  for i = n - 1, 1, -1 do conds = { "dtable.and", a = parts[i], b = conds } end
  return message { "dtable.rule", n = e.n, rule = e.name, conds = conds }
end

function Table:eval(r)
  if type(r) ~= "table" then error("bad argument #1 to 'eval' (the record expected, got " .. type(r) .. ")", 2) end
  local rules, hit = self.rules, self.hit
  if hit == "first" then
    for i = 1, self.n do
      local e = rules[i]
      local why = match(e, r)
      if why then return e.out, why, e.name end
    end
  elseif hit == "unique" then
    local found, why
    for i = 1, self.n do
      local e = rules[i]
      local w = match(e, r)
      if w then
        if found then
          local names = { format("rule %d '%s'", found.i, found.e.name), format("rule %d '%s'", i, e.name) }
          for j = i + 1, self.n do
            if match(rules[j], r) then names[#names + 1] = format("rule %d '%s'", j, rules[j].name) end
          end
          error(format("decision table%s has hit policy \"unique\", but %d rules match: %s",
            self.name and (" '" .. self.name .. "'") or "", #names, concat(names, ", ")), 2)
        end
        found, why = { i = i, e = e }, w
      end
    end
    if found then return found.e.out, why, found.e.name end
  else
    local outs, whys, names = {}, {}, {}
    for i = 1, self.n do
      local e = rules[i]
      local why = match(e, r)
      if why then
        local k = #outs + 1
        outs[k], whys[k], names[k] = e.out, why, e.name
      end
    end
    return outs, whys, names
  end
  local inputs = self.inputs
  local values = { "dtable.is", field = inputs[#inputs], value = show(r[inputs[#inputs]]) }
  for i = #inputs - 1, 1, -1 do
    values = { "dtable.list", a = { "dtable.is", field = inputs[i], value = show(r[inputs[i]]) }, b = values }
  end
  return nil, message { "dtable.none", values = values }
end

return dtable
