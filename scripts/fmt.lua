-- fmt.lua — numbers as people read them in explanations: 5200000 -> "5,200,000", 9000.5 -> "9,000.5".
local M = {}

local mtype, floor, format, tointeger = math.type, math.floor, string.format, math.tointeger

-- Groups of three digits with one string.format call (cheaper than gsub loops on the hot path).
local function int(n)
  local neg = n < 0
  if neg then n = -n end
  local s
  if n < 1000 then s = format("%d", n)
  elseif n < 1000000 then s = format("%d,%03d", n // 1000, n % 1000)
  elseif n < 1000000000 then s = format("%d,%03d,%03d", n // 1000000, n // 1000 % 1000, n % 1000)
  elseif n < 1000000000000 then
    s = format("%d,%03d,%03d,%03d", n // 1000000000, n // 1000000 % 1000, n // 1000 % 1000, n % 1000)
  else
    s = format("%d", n):reverse():gsub("(%d%d%d)", "%1,"):reverse():gsub("^,", "")
  end
  return neg and ("-" .. s) or s
end

-- fmt.number(n): n with thousands separators; whole floats print without ".0".
function M.number(n)
  if mtype(n) == "integer" then return int(n) end
  if mtype(n) ~= "float" then error(format("bad argument #1 to 'number' (number expected, got %s)", type(n)), 2) end
  if n ~= n or n == math.huge or n == -math.huge then return tostring(n) end
  local i = tointeger(n)
  if i then return int(i) end
  local s = format("%.15g", n)
  local whole, frac = s:match("^(-?%d+)(%.%d+)$")
  if not whole then return s end -- exponent form: leave as is
  return int(tointeger(tonumber(whole))) .. frac
end

return M
