-- _repl.lua — `bylaw repl`'s Lua half (trusted): readable answers, completion candidates (values: _show.lua).

-- From core/repl.c: runtime (the policy set's R; absent with --connect), env (the session's environment),
-- base (the sandbox's globals), commands (the dot-commands' names), null (json.null), values (_show.lua).
local C = ...

local type, pairs, next, tostring, pcall, select = type, pairs, next, tostring, pcall, select
local fmt, concat, sort, rep, mtype = string.format, table.concat, table.sort, string.rep, math.type
local getmetatable, getinfo = debug.getmetatable, debug.getinfo

local M = {}
local NULL = C.null

local V = C.values -- scripts/_show.lua
local show, key_less, entries, is_name, KEYWORDS = V.show, V.key_less, V.entries, V.is_name, V.KEYWORDS

function M.show(v) return show(v) end

-- Runs a chunk typed at the prompt (keep: what it calls at its end to keep its locals, or nil) and
-- returns its values as text, or nil when it returned none.
function M.exec(chunk, keep)
  local r = table.pack(chunk(keep))
  if r.n == 0 then return nil end
  local out = {}
  for i = 1, r.n do out[i] = show(r[i]) end
  return concat(out, ", ")
end

-- What the engine answers ---------------------------------------------------------------------------

local function str(v) if v == nil or v == NULL then return nil end return tostring(v) end

-- The fields of a record without id and type (the title names them).
local function fields_of(rec)
  local f = {}
  for k, v in pairs(rec or {}) do if k ~= "id" and k ~= "type" then f[k] = v end end
  return f
end

local LABEL = "%-9s"

-- The lines of one decision, at indent ind: policy and version, verdict, changes, explanation, and the
-- points, events, deadlines and cancels its policy proposed (from res, when given).
local function decision_lines(out, d, ind, res)
  local function add(label, text) out[#out + 1] = ind .. "  " .. fmt(LABEL, label) .. text end
  local col = ind .. rep(" ", 11) -- where the values begin: a table on several lines lines up under it
  out[#out + 1] = ind .. fmt("%s (version %s)", str(d.policy) or "?", str(d.version) or "?")
  if str(d.verdict) then add("verdict", d.verdict) end
  local changes = {}
  for k in pairs(type(d.changes) == "table" and d.changes or {}) do changes[#changes + 1] = k end
  sort(changes, key_less)
  for _, k in ipairs(changes) do
    local v = d.changes[k]
    if v == NULL then add("remove", tostring(k)) else add("set", tostring(k) .. " = " .. show(v, col)) end
  end
  if str(d.explanation) and d.explanation ~= "" then add("because", d.explanation) end
  if not res then return end
  local mine = function(e) return e.policy == d.policy end
  for _, p in ipairs(res.points or {}) do
    if mine(p) then
      add("points", fmt("%s %+d in %s%s", str(p.subject) or "?", p.points or 0, str(p.period) or "?",
        str(p.reason) and (": " .. p.reason) or ""))
    end
  end
  for _, e in ipairs(res.events or {}) do
    if mine(e) then add("event", (str(e.kind) or "?") .. " " .. show(e.payload or {}, col)) end
  end
  for _, t in ipairs(res.deadlines or {}) do
    if mine(t) then
      add("deadline", fmt("%s at %s%s", str(t.name) or "?", str(t.due) or "?",
        str(t.status) and (" (" .. t.status .. (str(t.at) and " " .. t.at or "") .. ")") or ""))
    end
  end
  for _, c in ipairs(res.cancels or {}) do
    if mine(c) then add("cancel", str(c.name) or "?") end
  end
end

-- .eval and .put: the record as the policies left it, then each decision.
function M.answer(res, title)
  local out = { title }
  out[#out + 1] = "  record   " .. show(fields_of(res.record), "           ")
  local ds = res.decisions or {}
  if #ds == 0 then out[#out + 1] = "  no policy decided anything" end
  for _, d in ipairs(ds) do decision_lines(out, d, "  ", res) end
  return concat(out, "\n")
end

-- .get: {record=, version=, created=, updated=}
function M.record(ans, title)
  return fmt("%s  version %s, created %s, updated %s\n  %s", title, str(ans.version) or "?",
    str(ans.created) or "?", str(ans.updated) or "?", show(fields_of(ans.record), "  "))
end

-- .find: {records = {...}, next = id | null}
function M.records(ans, title)
  local list = ans.records or {}
  if #list == 0 then return "no " .. title .. " record matches" end
  local out, w = {}, 0
  for _, r in ipairs(list) do w = math.max(w, #(str(r.id) or "?")) end
  for _, r in ipairs(list) do
    out[#out + 1] = fmt("  %-" .. w .. "s  %s", str(r.id) or "?", show(fields_of(r), rep(" ", w + 4)))
  end
  local more = str(ans.next) and fmt(" (the first %d; more after id %s)", #list, ans.next) or ""
  return fmt("%d %s record%s%s\n%s", #list, title, #list == 1 and "" or "s", more, concat(out, "\n"))
end

local function trigger_text(t)
  t = str(t) or "?"
  local timer = t:match("^timer:(.*)$")
  return timer and ("deadline " .. timer .. " fell due") or ("on " .. t)
end

-- .explain: {decisions = {...}}, oldest first.
function M.decisions(ans, title)
  local ds = ans.decisions or {}
  if #ds == 0 then return title .. ": no decision stored" end
  local out = { fmt("%s: %d decision%s, oldest first", title, #ds, #ds == 1 and "" or "s") }
  for _, d in ipairs(ds) do
    out[#out + 1] = fmt("#%s  %s  %s (record version %s)", str(d.id) or "?", str(d.at) or "?",
      trigger_text(d.trigger), str(d.record_version) or "?")
    decision_lines(out, d, "  ")
  end
  return concat(out, "\n")
end

-- .timers: {timers = {...}}, earliest first; now: the clock as text.
function M.timers(ans, now)
  local list = ans.timers or {}
  if #list == 0 then return "no deadline is pending" end
  local clock = now ~= "" and " (the clock: " .. now .. ")" or "" -- a --connect session does not know it
  local out = { fmt("%d pending deadline%s%s", #list, #list == 1 and "" or "s", clock) }
  for _, t in ipairs(list) do
    out[#out + 1] = fmt("  %s  %s/%s  %s  (policy %s)", str(t.due) or "?", str(t.type) or "?", str(t.id) or "?",
      str(t.name) or "?", str(t.policy) or "?")
  end
  return concat(out, "\n")
end

-- .advance: {fired = { {at=, timer=, result= | error=}, ... }}
function M.fired(ans)
  local out = {}
  for _, f in ipairs(ans.fired or {}) do
    local t = f.timer or {}
    out[#out + 1] = fmt("%s  %s/%s: deadline %s fell due", str(f.at) or str(t.due) or "?", str(t.type) or "?",
      str(t.id) or "?", str(t.name) or "?")
    if str(f.error) then
      out[#out + 1] = "  failed   " .. f.error .. " (the deadline is marked failed)"
    else
      local res = f.result or {}
      for _, d in ipairs(res.decisions or {}) do decision_lines(out, d, "  ", res) end
    end
  end
  return concat(out, "\n")
end

-- .types: the record types, their policies in order and the fields they declare.
function M.types(list)
  local R = C.runtime
  local out = {}
  if R then
    local types = {}
    for rtype in pairs(R.by_type) do types[#types + 1] = rtype end
    sort(types)
    for _, rtype in ipairs(types) do
      out[#out + 1] = rtype
      for _, p in ipairs(R.by_type[rtype]) do
        out[#out + 1] = fmt("  policy %-24s %s:%d  order %s", p.name, p.file, p.line, tostring(p.order))
        if p.doc then out[#out + 1] = "    " .. (p.doc:match("^[^\n]*")) end
      end
      local fs = {}
      for _, f in ipairs(R.fields(rtype) or {}) do fs[#fs + 1] = f.name .. " " .. f.type .. (f.optional and "?" or "") end
      if #fs > 0 then out[#out + 1] = "  fields " .. concat(fs, ", ") end
    end
  else -- a --connect session: GET /policies
    local by_type = {}
    for file, f in pairs(list.policies or {}) do
      for _, p in ipairs(f.policies or {}) do
        local l = by_type[p.type] or {}
        by_type[p.type] = l
        l[#l + 1] = fmt("  policy %-24s %s:%s  version %s", str(p.name) or "?", str(f.file) or file,
          str(p.line) or "?", str(f.version) or "?")
      end
    end
    local types = {}
    for rtype in pairs(by_type) do types[#types + 1] = rtype end
    sort(types)
    for _, rtype in ipairs(types) do
      sort(by_type[rtype])
      out[#out + 1] = rtype .. "\n" .. concat(by_type[rtype], "\n")
    end
  end
  if #out == 0 then return "no policy is loaded" end
  return concat(out, "\n")
end

-- Completion ----------------------------------------------------------------------------------------

local remote_types = {} -- a --connect session's record types (M.set_types)

function M.set_types(list) remote_types = list end

local function type_names()
  local R, out = C.runtime, {}
  if R then for rtype in pairs(R.by_type) do out[#out + 1] = rtype end
  else for _, t in ipairs(remote_types) do out[#out + 1] = t end end
  return out
end

-- The field names the policies of rtype declare (every type's, when rtype is nil).
local function field_names(rtype)
  local R, out, seen = C.runtime, {}, {}
  if not R then return out end
  for t in pairs(R.by_type) do
    if rtype == nil or t == rtype then
      for _, f in ipairs(R.fields(t) or {}) do
        if not seen[f.name] then seen[f.name], out[#out + 1] = true, f.name end
      end
    end
  end
  return out
end

local RECORD_ARG = { eval = true, put = true, get = true, find = true, explain = true, timers = true }
local FIELDS_ARG = { eval = true, put = true, find = true }

-- The names in t (a table, maybe a read-only view) that are identifiers.
local function names_in(t, out, only_functions)
  if type(t) ~= "table" then return end
  for k, v in pairs(entries(t)) do
    if is_name(k) and (not only_functions or type(v) == "function") then out[#out + 1] = k end
  end
end

-- Follows a.b.c from the session's environment; nil when a step is not a table.
local function resolve(path)
  local v = C.env
  for step in path:gmatch("[^%.:]+") do
    if type(v) ~= "table" then return nil end
    local ok, x = pcall(function() return v[step] end)
    if not ok then return nil end
    v = x
  end
  return v
end

local function matching(cands, prefix)
  local seen, out = {}, {}
  for _, c in ipairs(cands) do
    if c:sub(1, #prefix) == prefix and not seen[c] then seen[c], out[#out + 1] = true, c end
  end
  sort(out)
  return out
end

-- The candidates for the word before the cursor of text (what was typed so far): returns where that
-- word starts (1-based) and the words that may replace it.
function M.complete(text)
  local cmd, rest = text:match("^%s*%.(%a*)(.*)$")
  if cmd and rest == "" then
    local names = {}
    for _, c in ipairs(C.commands) do names[#names + 1] = "." .. c end
    return #text - #cmd, matching(names, "." .. cmd)
  end
  if cmd then
    local rtype_part = rest:match("^%s+([%w_%-]*)$")
    if rtype_part and RECORD_ARG[cmd] then return #text - #rtype_part + 1, matching(type_names(), rtype_part) end
    local rtype, tail = rest:match("^%s+([%w_%-]+)%s+(.*)$")
    if rtype and FIELDS_ARG[cmd] then
      local word = tail:match("[%a_][%w_]*$") or ""
      if tail:sub(1, #tail - #word):match("[%.:]$") then return #text + 1, {} end
      return #text - #word + 1, matching(field_names(rtype), word)
    end
    return #text + 1, {}
  end
  if not C.env then return #text + 1, {} end -- a --connect session runs no Lua
  local expr = text:match("[%a_][%w_%.:]*$") or ""
  local base, sep, word = expr:match("^(.*)([%.:])([%a_]?[%w_]*)$")
  local cands = {}
  if base then
    local t = resolve(base)
    names_in(t, cands, sep == ":")
    if sep == "." and (t == nil or (type(t) == "table" and getmetatable(t) == nil)) then
      -- a record, or a name not bound yet (r.annual_<TAB>): the fields the policies declare
      local rtype = type(t) == "table" and type(rawget(t, "type")) == "string" and rawget(t, "type") or nil
      for _, f in ipairs(field_names(rtype)) do cands[#cands + 1] = f end
      if rtype and #cands == 0 then for _, f in ipairs(field_names(nil)) do cands[#cands + 1] = f end end
    end
  else
    word = expr
    names_in(C.env, cands)
    names_in(C.base, cands)
    for k in pairs(KEYWORDS) do cands[#cands + 1] = k end
  end
  return #text - #word + 1, matching(cands, word)
end

return M
