-- after_sales_test.lua — after_sales.lua: the service types on the last day of a warranty and of a
-- contract and the day after, the 6 and 7 working-hour dispatch across a night and a holiday, a late
-- arrival, and the renewal visit a month before a contract ends (31 March → 28 February).
local function ticket(fields)
  local f = { id = "t1", kind = "repair", reported_at = "2026-10-19T10:00:00+08:00" }
  for k, v in pairs(fields) do f[k] = v end
  return eval("service_ticket", f)
end

test("in warranty on its last day: C, free (保证期内…免向客户收取费用)", function()
  local out = ticket { warranty_until = "2026-10-19", contract_until = "2027-01-01" }
  eq(out.record.service_type, "C")
  eq(out.decisions[1].explanation,
    "type C, free (免费): reported 2026-10-19, within the warranty to 2026-10-19: no charge for parts or labour")
end)

test("the day after the warranty, under contract: B; contract's last day included", function()
  local out = ticket { warranty_until = "2026-10-18", contract_until = "2026-10-19" }
  eq(out.record.service_type, "B")
  contains(out.decisions[1].explanation, "parts at cost, labour free")
end)

test("neither: A, paid (有偿)", function()
  local out = ticket { warranty_until = "2026-10-18", contract_until = "2026-10-18" }
  eq(out.record.service_type, "A")
  eq(out.decisions[1].explanation,
    "type A, paid (有偿): reported 2026-10-19, no warranty or maintenance contract on that day: parts and labour charged")
  eq(ticket({}).record.service_type, "A")
end)

test("consultation and administrative work: D (一般行政工作)", function()
  eq(ticket({ kind = "consultation", warranty_until = "2027-01-01" }).record.service_type, "D")
  local out = ticket { kind = "admin", location = "urban" }
  eq(out.record.service_type, "D")
  eq(out.deadlines, nil)
end)

test("urban: on site within 6 working hours (市区采用6小时); suburban 7", function()
  local out = ticket { location = "urban", reported_at = "2026-10-19T16:00:00+08:00" }
  eq(out.deadlines[1].name, "dispatch")
  eq(out.deadlines[1].due, "2026-10-20T13:00:00+08:00") -- 2 h Monday + 4 h Tuesday
  out = ticket { location = "suburban", reported_at = "2026-10-19T16:00:00+08:00" }
  eq(out.deadlines[1].due, "2026-10-20T14:00:00+08:00")
  out = ticket { location = "urban", reported_at = "2026-09-30T16:30:00+08:00" } -- the National Day week between
  eq(out.deadlines[1].due, "2026-10-08T13:30:00+08:00")
end)

test("an arrival at the deadline is on time; a minute after is late and reported", function()
  local out = ticket { location = "urban", reported_at = "2026-10-19T16:00:00+08:00",
                       arrived_at = "2026-10-20T13:00:00+08:00" }
  eq(#out.events, 0)
  contains(out.decisions[1].explanation, "arrived 2026-10-20T13:00:00+08:00, by 2026-10-20T13:00:00+08:00")
  out = ticket { location = "urban", reported_at = "2026-10-19T16:00:00+08:00", arrived_at = "2026-10-20T13:01:00+08:00" }
  eq(out.events[1].kind, "sla_breach")
  contains(out.decisions[1].explanation, "later than the 6 working hours allowed")
end)

test("no technician by the deadline: the service supervisor is told (报请服务主任)", function()
  clock.set("2026-10-19T16:00:00+08:00")
  put("service_ticket", { id = "t9", kind = "repair", reported_at = "2026-10-19T16:00:00+08:00", location = "suburban" })
  eq(clock.advance("next"), 1)
  eq(#timers("service_ticket", "t9"), 0)
end)

test("the renewal visit is due a month before the contract ends (保养合同期满前1个月)", function()
  clock.set("2026-01-01T00:00:00+08:00")
  local out = put("maintenance_contract", { id = "c1", ends_on = "2026-12-31" })
  eq(out.deadlines[1].due, "2026-11-30T09:00:00+08:00")
  eq(out.decisions[1].explanation,
    "renewal visit due 2026-11-30T09:00:00+08:00, one month before the contract ends on 2026-12-31 (保养合同期满前1个月)")
  eq(put("maintenance_contract", { id = "c2", ends_on = "2026-03-31" }).deadlines[1].due, "2026-02-28T09:00:00+08:00")
  eq(clock.advance("next"), 1)
end)
