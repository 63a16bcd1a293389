-- fmt.lua — numbers as explanations print them: fmt.number(5200000) → "5,200,000".
--
--   fmt.number(n) → string
--     integers and integral floats: thousands separated by ",", no ".0" (5e6 → "5,000,000", -12000 → "-12,000");
--     other floats: Lua's own 14 significant digits, the integer part grouped (9000.5 → "9,000.5");
--     nan, ±inf and floats too large for an integer print as Lua prints them ("1e+20", "inf").
--
--   fmt.around(before, n, after) → before .. fmt.number(n) .. after, in one concatenation for integers
--     below a trillion (no string made for the number alone): how explanations are built.
--
--   fmt.due(due, counted [, from [, cal]]) → "2026-10-09T18:00:00+08:00 (Fri; 2 working days after
--     receipt; 1–7 Oct are holidays)": a deadline as people read it, local time with its offset, its
--     weekday, how it was counted (a text or a message), and why it is far away when holidays or make-up
--     days lie between from and it (calendar.span_note). A message (message{}): in Chinese
--     "10月9日(周五)18:00；收到后2个工作日；..." (the date in the default calendar's zone).
--
-- Runs once per record on the hot path (every threshold explanation names the value), so it builds the
-- result from precomputed three-digit groups with a single concatenation: no gsub loop, no format
-- parsing. Values repeat too rarely (revenues, amounts) for a result cache to pay for itself.
local format, tointeger, mtype, type, tostring = string.format, math.tointeger, math.type, type, tostring
local mininteger = math.mininteger

local fmt = {}

-- HEAD[i]: i without padding (the leading group), PAD[i]: i on three digits (the groups after it), for
-- 0 <= i <= 999, each made the first time it is needed: every policy file that requires fmt has an
-- instance of its own, and making the 2,000 texts in each was most of a process's start-up.
local HEAD = setmetatable({}, { __index = function(t, i) local s = tostring(i); t[i] = s; return s end })
local PAD = setmetatable({}, { __index = function(t, i) local s = format("%03d", i); t[i] = s; return s end })

local K, M, G, T = 1000, 1000000, 1000000000, 1000000000000

-- i: a non-negative integer.
local function group(i)
  if i < K then return HEAD[i] end
  if i < M then return HEAD[i // K] .. "," .. PAD[i % K] end
  if i < G then return HEAD[i // M] .. "," .. PAD[i // K % K] .. "," .. PAD[i % K] end
  if i < T then return HEAD[i // G] .. "," .. PAD[i // M % K] .. "," .. PAD[i // K % K] .. "," .. PAD[i % K] end
  return group(i // T) .. "," .. PAD[i // G % K] .. "," .. PAD[i // M % K] .. "," .. PAD[i // K % K] .. "," ..
         PAD[i % K]
end

local function integer(i)
  if i >= 0 then return group(i) end
  if i == mininteger then return "-9,223,372,036,854,775,808" end -- -i would overflow
  return "-" .. group(-i)
end

function fmt.number(n)
  if mtype(n) == "integer" then return integer(n) end
  if type(n) ~= "number" then
    error(format("bad argument #1 to 'number' (number expected, got %s)", type(n)), 2)
  end
  local i = tointeger(n)
  if i then return integer(i) end
  local s = format("%.14g", n)
  local sign, digits, rest = s:match("^(%-?)(%d+)([%.]%d*)$")
  if not digits then return s end -- nan, inf, or an exponent: keep Lua's spelling
  return sign .. group(tointeger(tonumber(digits))) .. rest
end

function fmt.around(before, n, after)
  if mtype(n) == "integer" and n >= 0 and n < T then
    if n < K then return before .. HEAD[n] .. after end
    if n < M then return before .. HEAD[n // K] .. "," .. PAD[n % K] .. after end
    if n < G then return before .. HEAD[n // M] .. "," .. PAD[n // K % K] .. "," .. PAD[n % K] .. after end
    return before .. HEAD[n // G] .. "," .. PAD[n // M % K] .. "," .. PAD[n // K % K] .. "," .. PAD[n % K] .. after
  end
  return before .. fmt.number(n) .. after
end

messages {
  en = {
    ["fmt.due"] = "{due|date} ({weekday}; {counted}{note|more})",
    ["fmt.due_bare"] = "{due|date} ({weekday}{note|more})",
    ["fmt.span"] = "{en}{zh|hide}", -- calendar.span_note in each language
  },
  -- the Chinese date names its weekday: 10月9日(周五)18:00
  ["zh-CN"] = {
    ["fmt.due"] = "{due|date}{weekday|hide}({counted}{note|more})",
    ["fmt.due_bare"] = "{due|date}{weekday|hide}{note|note}",
    ["fmt.span"] = "{en|hide}{zh}",
  },
}

function fmt.due(due, counted, from, cal)
  local note = from and calendar.span_note(from, due, cal)
  if note then note = message { "fmt.span", en = note, zh = calendar.span_note(from, due, cal, "zh-CN") } end
  return message { counted and "fmt.due" or "fmt.due_bare", due = calendar.parse(due, cal),
                   weekday = calendar.weekday(due, cal), counted = counted, note = note or false }
end

return fmt
