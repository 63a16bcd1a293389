-- wrk script: PUT a client record (a new id per request, 10,000 ids) with a durable decision.
local n = 0
request = function()
  n = n + 1
  local body = string.format('{"annual_revenue":%d,"region_group":%d}', (n * 7919) % 8000000, n % 3 + 1)
  return wrk.format("PUT", "/records/client/w" .. (n % 10000), { ["Content-Type"] = "application/json" }, body)
end
