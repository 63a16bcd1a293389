-- _lint.lua — the lint of `bylaw check` (trusted): what a policy file's compiled code shows that loading it
-- does not. core/lint.c runs it on the loaded policy set. Each finding is { file =, line =, msg = }.
--
-- It reads each file's bytecode (scripts/_bytecode.lua), not its text: the compiler has already told
-- globals from locals and upvalues, and gives each instruction's line. What it looks at:
--   - globals: a read of a name the sandbox does not have (GETTABUP on _ENV), a field of a library that does
--     not exist (calendar.ad), an assignment to a global (SETTABUP on _ENV);
--   - fields: r.FIELD and r["FIELD"] in decide and the timer handlers (r: their first parameter, followed
--     through locals, upvalues and nested functions) against the policy's fields; a declared field read
--     nowhere (r passed to a helper, or indexed with a variable, reads it as far as the lint can tell when
--     the field's name is a string anywhere else in the file);
--   - verdicts: d:verdict("...") (any x:verdict with a string) that is not pass, hold or reject;
--   - tests: *_test.lua files that do not compile, policy files without one, record types no test evaluates
--     (eval or put with the type's name).
-- Limits: it follows code in the order written, not every path; a field name or verdict made at run time
-- (a variable, a concatenation) is not seen; r reached through a table is not followed.
--
-- From C: files ({ shown, source } of the policy files), tests (the same of the *_test.lua files), runtime
-- (R), base (the sandbox's globals), traps (names the sandbox refuses: io = true, ["os.execute"] = true, ...),
-- bytecode (_bytecode.lua).
local C = ...
local B, R = C.bytecode, C.runtime
local OP, decode = B.OP, B.decode
local fmt, concat, sort = string.format, table.concat, table.sort

local findings = {}
local function find(file, line, msg, ...) findings[#findings + 1] = { file = file, line = line, msg = fmt(msg, ...) } end

local function near(name, list)
  local n = R.closest(name, list)
  return n and fmt(" (did you mean '%s'?)", n) or ""
end

local function keys_of(t)
  local out = {}
  for k in pairs(t) do if type(k) == "string" then out[#out + 1] = k end end
  sort(out)
  return out
end

local function count(t) return t and #t + (t[0] ~= nil and 1 or 0) or 0 end

-- Opcodes that do not write R[A]; CALL and the others of WIDE may write R[A] and every register above it.
local NO_WRITE, WIDE = {}, {}
for _, n in ipairs { "SETTABUP", "SETTABLE", "SETI", "SETFIELD", "SETUPVAL", "JMP", "EQ", "LT", "LE", "EQK", "EQI",
  "LTI", "LEI", "GTI", "GEI", "TEST", "RETURN", "RETURN0", "RETURN1", "SETLIST", "CLOSE", "TBC", "MMBIN", "MMBINI",
  "MMBINK", "EXTRAARG", "VARARGPREP" } do NO_WRITE[OP[n]] = true end
for _, n in ipairs { "CALL", "TAILCALL", "VARARG", "TFORCALL", "TFORPREP", "TFORLOOP", "FORPREP", "FORLOOP", "LOADNIL",
  "CONCAT" } do WIDE[OP[n]] = true end

local function kstr(f, i) local v = f.k[i]; return type(v) == "string" and v or nil end

-- The index of f's upvalue _ENV, or nil.
local function env_of(f)
  for i = 0, count(f.upvalues) - 1 do if f.upvalues[i].name == "_ENV" then return i end end
end

-- Globals --------------------------------------------------------------------------------------------

-- The names of a library as policies see it (a read-only view: pairs goes through its __pairs).
local function keys_of_lib(lib)
  local out = {}
  local ok = pcall(function() for k in pairs(lib) do if type(k) == "string" then out[#out + 1] = k end end end)
  if ok then sort(out) end
  return out
end

local function check_globals(file, main, known)
  B.each(main, function(f)
    local env = env_of(f)
    if not env then return end
    for pc = 0, f.ncode - 1 do
      local op, a, b, c, k = decode(f.code[pc])
      local line = f.lines[pc]
      if op == OP.GETTABUP and b == env and kstr(f, c) then
        local name = kstr(f, c)
        if C.traps[name] then
          find(file, line, "%s is not available in policies (docs/policies.md lists what they may use)", name)
        elseif known[name] == nil then
          find(file, line, "unknown global '%s'%s: policies see the sandbox's globals and their own locals only",
            name, near(name, keys_of(known)))
        else
          -- name.member right after: a member the library does not have
          local nop, _, nb, nc = decode(f.code[pc + 1] or 0)
          local lib = known[name]
          if nop == OP.GETFIELD and nb == a and kstr(f, nc) and type(lib) == "table" then
            local member = kstr(f, nc)
            if C.traps[name .. "." .. member] then
              find(file, line, "%s.%s is not available in policies", name, member)
            elseif lib[member] == nil then
              find(file, line, "%s.%s does not exist%s", name, member, near(member, keys_of_lib(lib)))
            end
          end
        end
      elseif op == OP.SETTABUP and a == env and kstr(f, b) then
        find(file, line, "assignment to the global '%s': policies cannot set globals (write 'local %s = ...')",
          kstr(f, b), kstr(f, b))
      end
    end
  end)
end

-- Record reads -----------------------------------------------------------------------------------------

-- Follows the record through f: regs, the registers holding r at the start; ups, the upvalues that are r.
-- Adds to use: reads[name] = line (the first), dynamic (r indexed with a variable, or passed on), writes
-- ({ line =, name = } of each assignment to a field of r).
local function follow(f, regs, ups, use)
  local holds = {}
  for r in pairs(regs) do holds[r] = true end
  local function clear(a, wide)
    if wide then for r in pairs(holds) do if r >= a then holds[r] = nil end end else holds[a] = nil end
  end
  for pc = 0, f.ncode - 1 do
    local op, a, b, c, k, bx = decode(f.code[pc])
    local line = f.lines[pc]
    if (op == OP.SETFIELD or op == OP.SETI or op == OP.SETTABLE) and holds[a] then
      use.writes[#use.writes + 1] = { line = line, name = op == OP.SETFIELD and kstr(f, b) or nil }
    end
    if op == OP.GETFIELD and holds[b] and kstr(f, c) then
      local name = kstr(f, c)
      use.reads[name] = use.reads[name] or line
      clear(a)
    elseif op == OP.GETTABUP and ups[b] and kstr(f, c) then
      local name = kstr(f, c)
      use.reads[name] = use.reads[name] or line
      clear(a)
    elseif op == OP.MOVE then
      if holds[b] then holds[a] = true else clear(a) end
    elseif op == OP.GETUPVAL then
      if ups[b] then holds[a] = true else clear(a) end
    elseif op == OP.GETTABLE and holds[b] then
      use.dynamic = true
      clear(a)
    elseif op == OP.SELF and holds[b] then
      use.dynamic = true
      clear(a, true)
    elseif (op == OP.CALL or op == OP.TAILCALL) then
      for r = a + 1, b == 0 and 255 or a + b - 1 do if holds[r] then use.dynamic = true end end
      clear(a, true)
    elseif (op == OP.SETFIELD or op == OP.SETTABLE or op == OP.SETI or op == OP.SETTABUP) and k == 0 and holds[c] then
      use.dynamic = true -- stored in a table: read who knows where
    elseif op == OP.SETLIST or op == OP.RETURN or op == OP.RETURN1 then
      for r = a, a + (op == OP.RETURN1 and 0 or (b == 0 and 255 or b - 1)) do if holds[r] then use.dynamic = true end end
    elseif op == OP.CLOSURE then
      local child = f.protos[bx]
      local cups = {}
      for i = 0, count(child.upvalues) - 1 do
        local u = child.upvalues[i]
        if (u.instack and holds[u.idx]) or (not u.instack and ups[u.idx]) then cups[i] = true end
      end
      if next(cups) then follow(child, {}, cups, use) end
      clear(a)
    elseif not NO_WRITE[op] then
      clear(a, WIDE[op])
    end
  end
end

-- Calls visit(pc, s) for each string constant loaded into register a + arg between the instruction at pc,
-- which begins a call in register a, and that call (LOADK: a constant argument, maybe one of several in
-- an expression such as x and "a" or "b").
local function string_args(f, pc, a, arg, visit)
  for q = pc + 1, math.min(pc + 200, f.ncode - 1) do
    local op, qa, _, _, _, bx = decode(f.code[q])
    if op == OP.LOADK and qa == a + arg and kstr(f, bx) then visit(q, kstr(f, bx)) end
    if (op == OP.CALL or op == OP.TAILCALL) and qa == a then return end
  end
end

-- Calls visit(f, pc, s) for each string given as the first argument of a method call x:NAME(...) in main.
local function method_args(main, name, visit)
  B.each(main, function(f)
    for pc = 0, f.ncode - 1 do
      local op, a, _, c, k = decode(f.code[pc])
      if op == OP.SELF and k == 1 and kstr(f, c) == name then
        string_args(f, pc, a, 2, function(q, s) visit(f, q, s) end)
      end
    end
  end)
end

-- The fields d:set names in the file: sets[name] = true.
local function collect_sets(main, sets)
  method_args(main, "set", function(_, _, s) sets[s] = true end)
end

-- Every string constant of the file except the keys of table fields (SETFIELD's key): names the file uses.
local function strings_used(main)
  local used = {}
  B.each(main, function(f)
    local keys = {}
    for pc = 0, f.ncode - 1 do
      local op, _, b = decode(f.code[pc])
      if op == OP.SETFIELD then keys[b] = (keys[b] or 0) + 1 end
    end
    local refs = {}
    for pc = 0, f.ncode - 1 do
      local op, a, b, c, k, bx = decode(f.code[pc])
      if op == OP.LOADK then refs[bx] = true
      elseif op == OP.SETFIELD and k == 1 then refs[c] = true
      elseif (op == OP.GETFIELD or op == OP.SELF or op == OP.GETTABUP) then refs[c] = true
      elseif op == OP.EQK then refs[b] = true
      elseif (op == OP.SETTABLE or op == OP.SETI or op == OP.SETTABUP) and k == 1 then refs[c] = true end
    end
    for i in pairs(refs) do if kstr(f, i) then used[kstr(f, i)] = true end end
  end)
  return used
end

-- The proto of function fn in the chunk main (matched by the lines it spans), or nil.
local function proto_of(main, fn)
  local info = debug.getinfo(fn, "S")
  local found
  B.each(main, function(f)
    if not found and f.linedefined == info.linedefined and f.lastlinedefined == info.lastlinedefined then found = f end
  end)
  return found
end

-- The line where the fields table of policy p names field (SETFIELD with that key after p's line).
local function field_line(main, p, field)
  local best
  B.each(main, function(f)
    for pc = 0, f.ncode - 1 do
      local op, _, b = decode(f.code[pc])
      local line = f.lines[pc]
      if op == OP.SETFIELD and kstr(f, b) == field and line >= p.line and (not best or line < best) then best = line end
    end
  end)
  return best or p.line
end

local function check_fields(file, main, policies, sets_by_type)
  local used = strings_used(main)
  for _, p in ipairs(policies) do
    local use = { reads = {}, dynamic = false, writes = {} }
    local fns = {}
    if p.decide then fns[#fns + 1] = p.decide end
    for _, h in pairs(p.timers or {}) do fns[#fns + 1] = h end
    for _, fn in ipairs(fns) do
      local f = proto_of(main, fn)
      if f and f.numparams >= 1 then follow(f, { [0] = true }, {}, use) end
    end
    for _, w in ipairs(use.writes) do
      find(file, w.line, "policy '%s' assigns to r%s: the record is read-only (propose changes with d:set(%s, value))",
        p.name, w.name and "." .. w.name or "[...]", w.name and fmt("%q", w.name) or "field")
    end
    local declared, names = {}, {}
    for _, fd in ipairs(p.fields) do declared[fd.name] = true; names[#names + 1] = fd.name end
    local sets = sets_by_type[p.type] or {}
    local reads = keys_of(use.reads)
    for _, name in ipairs(reads) do
      if not declared[name] and name ~= "id" and name ~= "type" and not sets[name] then
        find(file, use.reads[name], "policy '%s' reads r.%s, which its fields do not declare%s%s", p.name, name,
          near(name, names), #names > 0 and fmt(" (declared: %s)", concat(names, ", ")) or "")
      end
    end
    for _, name in ipairs(names) do
      if not use.reads[name] and not (use.dynamic and used[name]) then
        find(file, field_line(main, p, name), "policy '%s' declares field '%s' but never reads it", p.name, name)
      end
    end
  end
end

-- Verdicts ---------------------------------------------------------------------------------------------

local VERDICTS = { "pass", "hold", "reject" }
local IS_VERDICT = { pass = true, hold = true, reject = true }

local function check_verdicts(file, main)
  method_args(main, "verdict", function(f, pc, s)
    if not IS_VERDICT[s] then
      find(file, f.lines[pc], 'd:verdict("%s"): not a verdict; the verdicts are "pass", "hold" and "reject"%s', s,
        near(s, VERDICTS))
    end
  end)
end

-- Tests ------------------------------------------------------------------------------------------------

-- The record types the test file's eval and put calls name: types[name] = true; true when one names its
-- type with something else than a string constant.
local function types_tested(main, types)
  local dynamic = false
  B.each(main, function(f)
    local env = env_of(f)
    if not env then return end
    for pc = 0, f.ncode - 1 do
      local op, a, b, c = decode(f.code[pc])
      if op == OP.GETTABUP and b == env and (kstr(f, c) == "eval" or kstr(f, c) == "put") then
        local named = false
        string_args(f, pc, a, 1, function(_, s) types[s] = true; named = true end)
        dynamic = dynamic or not named
      end
    end
  end)
  return dynamic
end

local function check_tests()
  local tested, dynamic, test_strings = {}, false, {}
  local have = {}
  for _, t in ipairs(C.tests) do
    have[t.shown] = true
    local main, err = B.compile(t.source, "@" .. t.shown)
    if not main then
      local line = tonumber(err:match(":(%d+):")) or 1
      find(t.shown, line, "the test file does not compile: %s", (err:gsub("^.-:%d+: ", "")))
    else
      dynamic = types_tested(main, tested) or dynamic
      for s in pairs(strings_used(main)) do test_strings[s] = true end
    end
  end
  for _, file in ipairs(C.files) do
    if #file.policies > 0 then
      local test = file.shown:gsub("%.lua$", "_test.lua")
      if not have[test] then
        local p = R.by_name[file.policies[1]]
        find(file.shown, p and p.line or 1, "no test file: %s does not exist (bylaw test runs *_test.lua files)", test)
      end
    end
  end
  for _, rtype in ipairs(keys_of(R.by_type)) do
    if not tested[rtype] and not (dynamic and test_strings[rtype]) then
      local p = R.by_type[rtype][1]
      find(p.file, p.line, "no test evaluates a record of type '%s' (eval or put in a *_test.lua file)", rtype)
    end
  end
end

-- The lint -----------------------------------------------------------------------------------------------

local known = {}
for k, v in pairs(C.base) do known[k] = v end
known.policy = true -- each file's own (core/host.c)

local sets_by_type = {}
local compiled = {}
for _, file in ipairs(C.files) do
  file.policies = {}
  for _, p in ipairs(R.list) do if p.file == file.shown then file.policies[#file.policies + 1] = p.name end end
  local main, err = B.compile(file.source, "@" .. file.shown)
  if not main then error(err, 0) end -- it loaded: it compiles
  compiled[file.shown] = main
  local sets = {}
  collect_sets(main, sets)
  for _, name in ipairs(file.policies) do
    local t = R.by_name[name].type
    sets_by_type[t] = sets_by_type[t] or {}
    for s in pairs(sets) do sets_by_type[t][s] = true end
  end
end

for _, file in ipairs(C.files) do
  local main = compiled[file.shown]
  check_globals(file.shown, main, known)
  local policies = {}
  for _, name in ipairs(file.policies) do policies[#policies + 1] = R.by_name[name] end
  check_fields(file.shown, main, policies, sets_by_type)
  check_verdicts(file.shown, main)
end
check_tests()

sort(findings, function(x, y)
  if x.file ~= y.file then return x.file < y.file end
  if x.line ~= y.line then return x.line < y.line end
  return x.msg < y.msg
end)
return findings
