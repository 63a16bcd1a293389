-- _testrun.lua — the test runner's Lua half (trusted): the assertion functions *_test.lua files see,
-- and the loop that runs each test and reports it. core/testrun.c loads it once per test file.
local C = ...
local fmt, type, tostring, pairs, xpcall, error = string.format, type, tostring, pairs, xpcall, error

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

local env = {}
T.env = env

function env.test(name, fn)
  if type(name) ~= "string" then error("bad argument #1 to 'test' (name must be a string)", 2) end
  if type(fn) ~= "function" then error("bad argument #2 to 'test' (expected a function)", 2) end
  local info = debug.getinfo(2, "l")
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

local function handler(e)
  if type(e) ~= "string" then e = show(e) end
  return e
end

-- Runs every declared test (only those whose name contains `only`, if given) on a fresh store;
-- returns passed, failed.
function T.run(file, only)
  local passed, failed = 0, 0
  for _, t in ipairs(T.tests) do
    if only and not t.name:find(only, 1, true) then goto next end
    C.reset()
    local ok, err = C.run_test(t.name, t.fn)
    if not ok then err = handler(err) end
    if ok then
      passed = passed + 1
      C.out(fmt("  ok    %s\n", t.name))
    else
      failed = failed + 1
      C.out(fmt("  FAIL  %s (%s:%d)\n        %s\n", t.name, file, t.line, tostring(err):gsub("\n", "\n        ")))
    end
    ::next::
  end
  return passed, failed
end

return T
