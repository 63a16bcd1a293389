-- _bytecode.lua — Lua 5.4's compiled chunks read into plain tables (trusted): every function of a chunk with
-- its instructions, constants, upvalues, locals and the line of each instruction. Lua has no syntax tree
-- API; the compiler's output is exact about what is a global, a local or an upvalue, and about lines. The
-- lint of `bylaw check` (scripts/_lint.lua) and the coverage of `bylaw test` (core/coverage.c) read policy
-- files through it. The format is ldump.c's of Lua 5.4 (checked in the header: another version is refused).
local byte, sub, unpack, fmt = string.byte, string.sub, string.unpack, string.format

local M = {}

-- Opcodes of Lua 5.4 (lopcodes.h), numbered from 0 in this order.
M.OPNAMES = {
  "MOVE", "LOADI", "LOADF", "LOADK", "LOADKX", "LOADFALSE", "LFALSESKIP", "LOADTRUE", "LOADNIL", "GETUPVAL",
  "SETUPVAL", "GETTABUP", "GETTABLE", "GETI", "GETFIELD", "SETTABUP", "SETTABLE", "SETI", "SETFIELD", "NEWTABLE",
  "SELF", "ADDI", "ADDK", "SUBK", "MULK", "MODK", "POWK", "DIVK", "IDIVK", "BANDK", "BORK", "BXORK", "SHRI", "SHLI",
  "ADD", "SUB", "MUL", "MOD", "POW", "DIV", "IDIV", "BAND", "BOR", "BXOR", "SHL", "SHR", "MMBIN", "MMBINI",
  "MMBINK", "UNM", "BNOT", "NOT", "LEN", "CONCAT", "CLOSE", "TBC", "JMP", "EQ", "LT", "LE", "EQK", "EQI", "LTI",
  "LEI", "GTI", "GEI", "TEST", "TESTSET", "CALL", "TAILCALL", "RETURN", "RETURN0", "RETURN1", "FORLOOP",
  "FORPREP", "TFORPREP", "TFORCALL", "TFORLOOP", "SETLIST", "CLOSURE", "VARARG", "VARARGPREP", "EXTRAARG",
}
M.OP = {}
for i, name in ipairs(M.OPNAMES) do M.OP[name] = i - 1 end

-- An instruction's fields (lopcodes.h: op 7 bits, A 8, k 1, B 8, C 8; Bx the 17 bits after A).
function M.decode(i)
  local op, a = i & 0x7f, (i >> 7) & 0xff
  local k, b, c, bx = (i >> 15) & 1, (i >> 16) & 0xff, (i >> 24) & 0xff, (i >> 15) & 0x1ffff
  return op, a, b, c, k, bx
end

local Reader = {}
Reader.__index = Reader

function Reader:byte()
  local b = byte(self.s, self.pos)
  if not b then error("truncated chunk", 0) end
  self.pos = self.pos + 1
  return b
end

function Reader:bytes(n)
  local s = sub(self.s, self.pos, self.pos + n - 1)
  if #s < n then error("truncated chunk", 0) end
  self.pos = self.pos + n
  return s
end

-- ldump.c's dumpSize: 7 bits a byte, most significant first, the last byte marked with 0x80.
function Reader:size()
  local x = 0
  repeat
    local b = self:byte()
    x = (x << 7) | (b & 0x7f)
  until b & 0x80 ~= 0
  return x
end

function Reader:string()
  local n = self:size()
  if n == 0 then return nil end
  return self:bytes(n - 1)
end

function Reader:unpack(f)
  local v, pos = unpack(f, self.s, self.pos)
  self.pos = pos
  return v
end

local function read_function(r, psource)
  local f = {}
  f.source = r:string() or psource
  f.linedefined, f.lastlinedefined = r:size(), r:size()
  f.numparams, f.is_vararg, f.maxstack = r:byte(), r:byte() ~= 0, r:byte()
  local code = {}
  for pc = 0, r:size() - 1 do code[pc] = r:unpack("<I4") end
  f.code, f.ncode = code, #code + (code[0] and 1 or 0)
  local k = {}
  for i = 0, r:size() - 1 do
    local t = r:byte()
    if t == 0x00 then k[i] = nil -- nil
    elseif t == 0x01 then k[i] = false
    elseif t == 0x11 then k[i] = true
    elseif t == 0x13 then k[i] = r:unpack("<n")
    elseif t == 0x03 then k[i] = r:unpack("<j")
    elseif t == 0x04 or t == 0x14 then k[i] = r:string()
    else error(fmt("unknown constant type 0x%02x", t), 0) end
  end
  f.k = k
  f.upvalues = {}
  for i = 0, r:size() - 1 do f.upvalues[i] = { instack = r:byte() ~= 0, idx = r:byte(), kind = r:byte() } end
  f.protos = {}
  for i = 0, r:size() - 1 do f.protos[i] = read_function(r, f.source) end
  -- lines: lineinfo holds the change from the line before (ABSLINEINFO, -128: see abslineinfo)
  local delta = {}
  for pc = 0, r:size() - 1 do local d = r:byte(); delta[pc] = d >= 128 and d - 256 or d end
  local abs = {}
  for _ = 1, r:size() do local pc = r:size(); abs[pc] = r:size() end
  local lines, line = {}, f.linedefined
  for pc = 0, f.ncode - 1 do
    local d = delta[pc]
    if d == nil then break end
    if d == -128 then line = abs[pc] else line = line + d end
    lines[pc] = line
  end
  f.lines = lines
  f.locvars = {}
  for i = 1, r:size() do f.locvars[i] = { name = r:string(), startpc = r:size(), endpc = r:size() } end
  for i = 0, r:size() - 1 do f.upvalues[i].name = r:string() end
  return f
end

-- The main function of a chunk as string.dump gives it (not stripped), with f.protos[0..] nested.
function M.read(chunk)
  local r = setmetatable({ s = chunk, pos = 1 }, Reader)
  if r:bytes(4) ~= "\27Lua" then error("not a Lua binary chunk", 0) end
  local version, format = r:byte(), r:byte()
  if version ~= 0x54 or format ~= 0 then error(fmt("a chunk of Lua %x.%x, not 5.4", version >> 4, version & 15), 0) end
  if r:bytes(6) ~= "\x19\x93\r\n\x1a\n" or r:byte() ~= 4 or r:byte() ~= 8 or r:byte() ~= 8 or
     r:unpack("<j") ~= 0x5678 or r:unpack("<n") ~= 370.5 then
    error("a chunk of another build of Lua (sizes or byte order)", 0)
  end
  r:byte() -- the main closure's number of upvalues
  return read_function(r, nil)
end

-- Compiles source (text) named chunkname ("@file") and reads it; nil and the compiler's message when it
-- does not compile.
function M.compile(source, chunkname)
  local fn, err = load(source, chunkname, "t", {})
  if not fn then return nil, err end
  return M.read(string.dump(fn))
end

-- Calls visit(f, parent) for f and every function nested in it, outermost first.
function M.each(f, visit, parent)
  visit(f, parent)
  for i = 0, #f.protos + (f.protos[0] and 1 or 0) - 1 do M.each(f.protos[i], visit, f) end
end

-- The lines of f's source that hold instructions, as Lua's debug.getinfo(fn, "L").activelines gives them
-- for a closure of f (a vararg function's first instruction, VARARGPREP, is not counted: hooks start after
-- it), with those of every function nested in f: { [line] = true }.
function M.active_lines(f)
  local lines = {}
  M.each(f, function(g)
    for pc = g.is_vararg and 1 or 0, g.ncode - 1 do
      if g.lines[pc] then lines[g.lines[pc]] = true end
    end
  end)
  return lines
end

return M
