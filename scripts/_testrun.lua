-- _testrun.lua — the test runner's Lua half (trusted): the test API *_test.lua files see (test, eval, put,
-- the assertions, print) and the loop that runs each test and hands its result to core/testrun.c, which
-- reports it. core/testrun.c loads it once per test file.
--
-- From C: reset, run_test, report, capture, encode; eval and put (the engine's); runtime (the policy set's
-- R); values (scripts/_show.lua).
local C = ...
local fmt, type, tostring, pairs, ipairs, select, error, pcall = string.format, type, tostring, pairs, ipairs,
  select, error, pcall
local concat, sort, getinfo = table.concat, table.sort, debug.getinfo
local show_value = C.values.show

local T = { tests = {} }

local function show(v)
  if type(v) == "string" then return fmt("%q", v) end
  if type(v) == "table" then
    local ok, s = pcall(C.encode, v)
    if ok then return s end
  end
  return tostring(v)
end

local function deep_eq(a, b)
  if a == b then return true end
  if type(a) ~= "table" or type(b) ~= "table" then return false end
  for k, v in pairs(a) do if not deep_eq(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

-- "file:line" of the function `level` levels up (1: the caller of where).
local function where(level)
  local info = getinfo(level + 1, "Sl")
  if not info then return "?" end
  local file = info.source:sub(1, 1) == "@" and info.source:sub(2) or info.short_src
  return fmt("%s:%d", file, info.currentline)
end

local env = {}
T.env = env

function env.test(name, fn)
  if type(name) ~= "string" then error("bad argument #1 to 'test' (name must be a string)", 2) end
  if type(fn) ~= "function" then error("bad argument #2 to 'test' (expected a function)", 2) end
  local info = getinfo(2, "l")
  T.tests[#T.tests + 1] = { name = name, fn = fn, line = info and info.currentline or 0 }
end

function env.eq(actual, expected, msg)
  if not deep_eq(actual, expected) then
    error(fmt("%sexpected %s, got %s", msg and (msg .. ": ") or "", show(expected), show(actual)), 2)
  end
end

function env.ok(v, msg)
  if not v then error(msg or fmt("expected a true value, got %s", show(v)), 2) end
end

function env.contains(s, sub, msg)
  if type(s) ~= "string" or not s:find(sub, 1, true) then
    error(fmt("%sexpected %s to contain %s", msg and (msg .. ": ") or "", show(s), show(sub)), 2)
  end
end

function env.fails(fn, pattern)
  local ok, err = pcall(fn)
  if ok then error("expected an error, but the function returned normally", 2) end
  if pattern and not tostring(err):find(pattern, 1, true) then
    error(fmt("expected an error containing %s, got %s", show(pattern), show(tostring(err))), 2)
  end
  return err
end

-- print(...): the values on one line (tables as the REPL shows them), kept with the test that prints them.
function env.print(...)
  local parts = {}
  for i = 1, select("#", ...) do
    local v = select(i, ...)
    parts[i] = type(v) == "string" and v or show_value(v)
  end
  C.capture(concat(parts, " ") .. "\n")
end

-- eval and put: the record type checked first (an unknown one is named with the known ones), errors at the
-- test's line, and the answer remembered for the message of a failure after it.
local last -- { call = 'eval("client", ...)', at = "file:line", answer = {...} } of the running test

local function known_type(rtype, fname)
  if type(rtype) ~= "string" then
    error(fmt("bad argument #1 to '%s' (a record type expected, got %s)", fname, type(rtype)), 3)
  end
  local R = C.runtime
  if R.by_type[rtype] then return end
  local types = {}
  for t in pairs(R.by_type) do types[#types + 1] = t end
  sort(types)
  local near = R.closest(rtype, types)
  error(fmt("%s: no policy is bound to type %q%s; the types of this policy set: %s", fname, rtype,
    near and fmt(" (did you mean %q?)", near) or "", #types > 0 and concat(types, ", ") or "none"), 3)
end

local function evaluator(fname, prim)
  return function(rtype, fields)
    known_type(rtype, fname)
    local call = fmt("%s(%q, ...)", fname, rtype)
    local ok, out = pcall(prim, rtype, fields)
    if not ok then
      last = nil
      error(fmt("%s: %s", call, tostring(out)), 2)
    end
    last = { call = call, at = where(2), answer = out }
    return out
  end
end
env.eval = evaluator("eval", C.eval)
env.put = evaluator("put", C.put)

-- The answer of the last eval or put, for a failure's message: each decision's verdict and explanation.
local function last_answer()
  if not last then return "" end
  local lines = { fmt("after %s at %s:", last.call, last.at) }
  local ds = type(last.answer) == "table" and last.answer.decisions or {}
  for _, d in ipairs(ds) do
    local verdict = type(d.verdict) == "string" and " " .. d.verdict or ""
    local why = type(d.explanation) == "string" and d.explanation ~= "" and d.explanation or "(no explanation)"
    lines[#lines + 1] = fmt("  %s%s: %s", tostring(d.policy), verdict, why)
  end
  if #ds == 0 then lines[#lines + 1] = "  (no decision)" end
  return "\n" .. concat(lines, "\n")
end

local function message(err)
  if type(err) ~= "string" then err = show(err) end
  return err .. last_answer()
end

-- Runs every declared test (only those whose name contains `only`, if given), each on a fresh store, and
-- reports each to C.
function T.run(only)
  for _, t in ipairs(T.tests) do
    if not only or t.name:find(only, 1, true) then
      C.reset()
      last = nil
      local ok, err, ms, output = C.run_test(t.name, t.fn)
      C.report(t.name, t.line, ok, not ok and message(err) or nil, output, ms)
    end
  end
end

return T
