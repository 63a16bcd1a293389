-- _show.lua — values as people read them (trusted): the pretty-printer `bylaw repl` prints answers with and
-- `bylaw test` prints what a test prints. Loaded by core/repl.c and core/testrun.c with json.null.
local NULL = ...

local type, pairs, next, tostring, pcall = type, pairs, next, tostring, pcall
local fmt, concat, sort, mtype = string.format, table.concat, table.sort, math.type
local getmetatable, getinfo = debug.getmetatable, debug.getinfo

local M = {}

-- Values -------------------------------------------------------------------------------------------

local MAX_ITEMS = 30     -- list items shown before the rest is counted
local MAX_KEYS = 60      -- other keys shown
local MAX_DEPTH = 6      -- nested tables shown
local MAX_STRING = 2000  -- bytes of a string shown
local WIDTH = 96         -- a table fits on one line up to this width

local KEYWORDS = {}
for w in ([[and break do else elseif end false for function goto if in local nil not or repeat return
  then true until while]]):gmatch("%a+") do KEYWORDS[w] = true end

local ESC = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }

local function quote(s)
  local cut = ""
  if #s > MAX_STRING then cut, s = fmt(" (%d bytes more)", #s - MAX_STRING), s:sub(1, MAX_STRING) end
  return '"' .. s:gsub('[%c"\\]', function(c) return ESC[c] or fmt("\\%d", c:byte()) end) .. '"' .. cut
end

local function is_name(k) return type(k) == "string" and k:match("^[%a_][%w_]*$") and not KEYWORDS[k] end

local RANK = { number = 1, string = 2, boolean = 3 }

local function key_less(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then
    local ra, rb = RANK[ta] or 4, RANK[tb] or 4
    if ra ~= rb then return ra < rb end
    return ta < tb
  end
  if ta == "number" or ta == "string" then return a < b end
  return tostring(a) < tostring(b)
end

-- The entries of t: raw, or through __pairs for the engine's read-only views. Returns a key → value table.
local function entries(t)
  local mt = getmetatable(t)
  local all = {}
  if mt and mt.__pairs then
    pcall(function() for k, v in pairs(t) do all[k] = v end end)
  else
    for k, v in next, t do all[k] = v end
  end
  return all
end

local function show_function(f)
  local info = getinfo(f, "S")
  if info.what == "C" then return "function (builtin)" end
  return fmt("function (%s:%d)", info.short_src, info.linedefined)
end

local show

local function show_table(t, indent, path, depth)
  if path[t] then return "<cycle>" end
  if depth > MAX_DEPTH then return "{...}" end
  local all = entries(t)
  local n = 0
  while all[n + 1] ~= nil do n = n + 1 end
  local keys = {}
  for k in pairs(all) do
    if not (mtype(k) == "integer" and k >= 1 and k <= n) then keys[#keys + 1] = k end
  end
  if n == 0 and #keys == 0 then return "{}" end
  sort(keys, key_less)
  path[t] = true
  local items, inner = {}, indent .. "  "
  for i = 1, n < MAX_ITEMS and n or MAX_ITEMS do items[#items + 1] = show(all[i], inner, path, depth + 1) end
  if n > MAX_ITEMS then items[#items + 1] = fmt("... %d more (%d items)", n - MAX_ITEMS, n) end
  for i = 1, #keys < MAX_KEYS and #keys or MAX_KEYS do
    local k = keys[i]
    local ks = is_name(k) and k or "[" .. show(k, inner, path, depth + 1) .. "]"
    items[#items + 1] = ks .. " = " .. show(all[k], inner, path, depth + 1)
  end
  if #keys > MAX_KEYS then items[#items + 1] = fmt("... %d more keys", #keys - MAX_KEYS) end
  path[t] = nil
  local line = "{" .. concat(items, ", ") .. "}"
  if #line + #indent <= WIDTH and not line:find("\n", 1, true) then return line end
  return "{\n" .. inner .. concat(items, ",\n" .. inner) .. "\n" .. indent .. "}"
end

show = function(v, indent, path, depth)
  local t = type(v)
  if t == "string" then return quote(v) end
  if t == "table" then return show_table(v, indent or "", path or {}, depth or 1) end
  if t == "function" then return show_function(v) end
  if v == NULL then return "json.null" end
  return tostring(v)
end

M.show = show
M.key_less, M.entries, M.is_name, M.KEYWORDS = key_less, entries, is_name, KEYWORDS

return M
