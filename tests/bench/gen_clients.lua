-- gen_clients.lua N — N client records, one JSON object per line, deterministic (a fixed LCG).
local n = tonumber(arg[1]) or 100000
local x = 12345
local function rnd(m) x = (x * 1103515245 + 12345) % 2147483648; return x % m end
local out = {}
for i = 1, n do
  out[#out + 1] = string.format('{"id":"c%d","annual_revenue":%d,"region_group":%d,"provincial_upstream":%s}',
    i, rnd(8000000), 1 + rnd(3), rnd(50) == 0 and "true" or "false")
  if #out == 4096 then io.write(table.concat(out, "\n"), "\n"); out = {} end
end
if #out > 0 then io.write(table.concat(out, "\n"), "\n") end
