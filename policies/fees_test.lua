-- fees_test.lua — fees.lua at every bound: 8% and 10% of the payroll and a fen outside, the three parts,
-- 800 and 801 workers, 3,000 and 3,000.01 yuan, each missing signature, the payout conditions, 0.3 yuan/m².
local function bill(fee, extra)
  local f = { id = "b1", payroll = 1000000, fee = fee }
  for k, v in pairs(extra or {}) do f[k] = v end
  local out = eval("outsourcing_bill", f)
  return out.decisions[1], out
end

test("a fee from 8% to 10% of the payroll (8%---10%), both ends included", function()
  local d, out = bill(80000)
  eq(d.verdict, "pass")
  eq(out.record.fee_min, 80000)
  eq(out.record.fee_max, 100000)
  eq(bill(100000).verdict, "pass")
  d = bill(79999.99)
  eq(d.verdict, "hold")
  contains(d.explanation, "fee 79,999.99 is outside 80,000 to 100,000, 8% to 10% of the payroll 1,000,000")
  eq(bill(100000.01).verdict, "hold")
end)

test("the three parts must add up to the fee (业务服务费、相关税费以及风险预控金)", function()
  eq(bill(90000, { service_fee = 70000, taxes = 15000, risk_reserve = 5000 }).verdict, "pass")
  local d = bill(90000, { service_fee = 70000, taxes = 15000, risk_reserve = 4000 })
  eq(d.verdict, "hold")
  contains(d.explanation, "service fee 70,000 + taxes 15,000 + risk reserve 4,000 = 89,000, not the fee 90,000")
end)

test("1 staff per 800 workers and 1 manager per 4 staff, rounded up", function()
  local function staffing(w)
    local rec = eval("outsourcing_client", { id = "c1", workers = w }).record
    return rec.staff_needed, rec.managers_needed
  end
  eq({ staffing(0) }, { 0, 0 })
  eq({ staffing(800) }, { 1, 1 })
  eq({ staffing(801) }, { 2, 1 })
  eq({ staffing(3200) }, { 4, 1 })
  eq({ staffing(3201) }, { 5, 2 })
  contains(eval("outsourcing_client", { id = "c1", workers = 3201 }).decisions[1].explanation,
    "3,201 workers: 5 dedicated staff (1 per 800, rounded up) and 2 business manager(s) (1 per 4 staff)")
end)

test("an advance of 3,000 yuan is within the limit (借支限额3000元); more is refused", function()
  eq(eval("fee_advance", { id = "a1", amount = 3000 }).decisions[1].verdict, "pass")
  local d = eval("fee_advance", { id = "a1", amount = 3000.01 }).decisions[1]
  eq(d.verdict, "reject")
  eq(d.explanation, "advance 3,000.01 yuan is over the limit of 3,000 (每个销售代表借支限额3000元)")
end)

local function fee(extra)
  local f = { id = "f1", fee = 2000, signed = { "clerk", "manager", "finance" }, net_sale = true, collected_rate = 1 }
  for k, v in pairs(extra or {}) do f[k] = v end
  local out = eval("relationship_fee", f)
  return out.record.payable, out.decisions[1]
end

test("any signature missing makes the form void (缺少任何一方签字,视为无效)", function()
  eq(fee(), 2000)
  local p, d = fee { signed = { "clerk", "finance" } }
  eq(p, 0)
  eq(d.verdict, "reject")
  eq(d.explanation, "no manager signature: the form is void (缺少任何一方签字,视为无效)")
  eq(#select(2, fee { signed = {} }).reasons, 3)
end)

test("paid only after the net sale and the payment (纯销而且回款之后)", function()
  local p, d = fee { collected_rate = 0.9 }
  eq(p, 0)
  contains(d.explanation, "collected_rate 0.9 < 1")
  eq(fee({ net_sale = false }), 0)
  eq(eval("relationship_fee", { id = "f2", fee = 2000, signed = { "clerk", "manager", "finance" }, net_sale = true })
    .record.payable, 0) -- nothing collected recorded
end)

test("the public-energy share: 0.3 yuan per m² a month (0.3元/(m2.月))", function()
  local out = eval("property_unit", { id = "u1", area = 89.5 })
  eq(out.record.energy_fee, 26.85)
  eq(out.decisions[1].explanation, "89.5 m² × 0.3 yuan = 26.85 yuan a month (按0.3元/(m2.月)标准收取)")
end)
