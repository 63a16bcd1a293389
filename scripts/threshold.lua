-- threshold.lua — ordered tiers with inclusive lower bounds, and the sentence that explains the pick.
--
--   local grades = threshold.tiers {
--     field = "annual_revenue", label = "grade",
--     { "diamond", 5000000 },          -- highest first; a value >= the bound gets the tier
--     { "vip", 10000 },
--   }
--   grades:pick(5200000)  --> "diamond", "grade diamond: annual_revenue 5,200,000 >= 5,000,000"
--   grades:pick(9999)     --> nil, "no grade: annual_revenue 9,999 < 10,000"
--   grades:pick(8500, { vip = { 0.8, "region group 3 coefficient" } })
--     --> "vip", "grade vip: annual_revenue 8,500 >= 8,000 (10,000 × 0.8, region group 3 coefficient)"
local fmt = require "fmt"

local M = {}
local T = {}
T.__index = T

local format, type = string.format, type
local number = fmt.number

local function argerr(n, fname, msg) error(format("bad argument #%d to '%s' (%s)", n, fname, msg), 3) end

-- threshold.tiers{ field = NAME, label = WORD (default "tier"), {name, lower}, ... }
function M.tiers(spec)
  if type(spec) ~= "table" then argerr(1, "tiers", "expected a table of tiers") end
  if type(spec.field) ~= "string" then argerr(1, "tiers", "'field' must name the field the tiers read") end
  local t = setmetatable({ field = spec.field, label = spec.label or "tier", n = #spec }, T)
  if t.n == 0 then argerr(1, "tiers", "no tiers: list them as { name, lower bound }, highest first") end
  for i = 1, t.n do
    local e = spec[i]
    if type(e) ~= "table" or type(e[1]) ~= "string" or type(e[2]) ~= "number" then
      argerr(1, "tiers", format("tier #%d must be { name, lower bound }", i))
    end
    if i > 1 and not (e[2] < spec[i - 1][2]) then
      argerr(1, "tiers", format("bounds must descend: %s (%s) after %s (%s)", e[1], number(e[2]),
        spec[i - 1][1], number(spec[i - 1][2])))
    end
    t[i] = { name = e[1], lower = e[2], text = number(e[2]) }
  end
  return t
end

-- The bound of tier e after adjust, and how to say it.
local function bound(e, adjust)
  local a = adjust and adjust[e.name]
  if not a then return e.lower, e.text end
  local f = a[1]
  local b = e.lower * f
  return b, format("%s (%s × %s%s)", number(b), e.text, tostring(f), a[2] and (", " .. a[2]) or "")
end

-- t:pick(value [, adjust]): the highest tier whose (adjusted) lower bound value reaches, and why.
function T:pick(value, adjust)
  if type(value) ~= "number" then argerr(1, "pick", format("%s must be a number, got %s", self.field, type(value))) end
  for i = 1, self.n do
    local e = self[i]
    local b, text = bound(e, adjust)
    if value >= b then
      return e.name, format("%s %s: %s %s >= %s", self.label, e.name, self.field, number(value), text)
    end
  end
  local last = self[self.n]
  local _, text = bound(last, adjust)
  return nil, format("no %s: %s %s < %s", self.label, self.field, number(value), text)
end

return M
