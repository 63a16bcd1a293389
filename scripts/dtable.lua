-- dtable.lua — decision tables. Each rule has a name, conditions on record fields (all must hold)
-- and outputs; the hit policy says which matches count, and every match explains itself.
--
--   local t = dtable.new {
--     hit = "collect",                        -- "first" | "unique" | "collect"
--     { name = "minor", when = { age = { "<", 18 } }, verdict = "reject" },
--     { name = "criminal record", when = { criminal_record = true }, verdict = "reject" },
--   }
--   local rules, whys = t:eval(r)   -- collect: every matching rule and its explanation
--   -- whys[1] == "minor: age 17 < 18"
--
-- A condition is a value (equality), or { op, value } with op one of < <= > >= == ~= and "in"
-- (value a list). A missing field matches no comparison (and only == nil / ~= x).
-- first: the first matching rule; unique: the only matching rule (two matches are an error naming
-- both); collect: all matching rules, in order. first/unique return rule, why (or nil, nil).
local fmt = require "fmt"

local M = {}
local D = {}
D.__index = D

local format, type, ipairs, pairs, sort, concat = string.format, type, ipairs, pairs, table.sort, table.concat

local HITS = { first = true, unique = true, collect = true }
local OPS = {
  ["<"] = function(a, b) return a < b end, ["<="] = function(a, b) return a <= b end,
  [">"] = function(a, b) return a > b end, [">="] = function(a, b) return a >= b end,
  ["=="] = function(a, b) return a == b end, ["~="] = function(a, b) return a ~= b end,
  ["in"] = function(a, b) for _, x in ipairs(b) do if a == x then return true end end return false end,
}

local function show(v)
  if type(v) == "number" then return fmt.number(v) end
  if type(v) == "string" then return format("%q", v) end
  if type(v) == "table" then
    local parts = {}
    for i, x in ipairs(v) do parts[i] = show(x) end
    return "{" .. concat(parts, ", ") .. "}"
  end
  return tostring(v)
end

function M.new(spec)
  if type(spec) ~= "table" then error("bad argument #1 to 'new' (expected a table of rules)", 2) end
  local hit = spec.hit or "first"
  if not HITS[hit] then error(format("bad argument #1 to 'new' (hit must be first, unique or collect, got %s)", show(hit)), 2) end
  local t = setmetatable({ hit = hit, n = #spec }, D)
  for i, rule in ipairs(spec) do
    if type(rule) ~= "table" or type(rule.when) ~= "table" then
      error(format("bad argument #1 to 'new' (rule #%d needs a 'when' table of conditions)", i), 2)
    end
    local conds = {}
    for field, c in pairs(rule.when) do
      local op, val = "==", c
      if type(c) == "table" then
        op, val = c[1], c[2]
        if not OPS[op] then error(format("bad argument #1 to 'new' (rule #%d: unknown operator %s on %s)", i, show(op), field), 2) end
      end
      conds[#conds + 1] = { field = field, op = op, value = val, test = OPS[op] }
    end
    sort(conds, function(a, b) return a.field < b.field end) -- explanations in a stable order
    rule.name = rule.name or format("rule %d", i)
    t[i] = { rule = rule, conds = conds }
  end
  return t
end

-- Whether entry e matches record r; the explanation when it does.
local function match(e, r)
  local why = {}
  for i, c in ipairs(e.conds) do
    local v = r[c.field]
    if v == nil then
      if not ((c.op == "==" and c.value == nil) or c.op == "~=") then return nil end
    elseif (c.op ~= "==" and c.op ~= "~=" and c.op ~= "in") and type(v) ~= type(c.value) then
      return nil
    elseif not c.test(v, c.value) then
      return nil
    end
    why[i] = c.op == "==" and format("%s is %s", c.field, show(v))
      or format("%s %s %s %s", c.field, show(v), c.op, show(c.value))
  end
  return e.rule.name .. ": " .. concat(why, ", ")
end

-- t:eval(record) — see the top of the file.
function D:eval(r)
  local rules, whys = {}, {}
  for i = 1, self.n do
    local e = self[i]
    local why = match(e, r)
    if why then
      if self.hit == "first" then return e.rule, why end
      rules[#rules + 1], whys[#whys + 1] = e.rule, why
    end
  end
  if self.hit == "collect" then return rules, whys end
  if #rules > 1 then
    error(format("decision table (hit unique): %d rules match: %s and %s", #rules, rules[1].name, rules[2].name), 2)
  end
  return rules[1], whys[1]
end

return M
