-- reference_check_test.lua — reference_check.lua: every order of disagreeing sources (人力资源部>直属上级>同事),
-- and the methods by level, contract, distance and graduation year (2002, 2003, 2004).
local function finding(hr, sup, col)
  local out = eval("reference_check", { id = "r1", hr_says = hr, supervisor_says = sup, colleague_says = col })
  return out.record.finding, out.decisions[1].explanation
end

test("HR's answer wins over the supervisor and a colleague (人力资源部>直属上级>同事)", function()
  local f, why = finding("confirmed", "contradicted", "contradicted")
  eq(f, "confirmed")
  eq(why, "the HR department (人力资源部) confirmed; it outranks the direct supervisor (直属上级), who said contradicted " ..
    "(人力资源部>直属上级>同事); it outranks a colleague (同事), who said contradicted (人力资源部>直属上级>同事)")
end)

test("without HR the supervisor wins over a colleague; a colleague alone counts", function()
  local f, why = finding(nil, "contradicted", "confirmed")
  eq(f, "contradicted")
  contains(why, "the direct supervisor (直属上级) contradicted; it outranks a colleague")
  eq(finding(nil, nil, "confirmed"), "confirmed")
  f, why = finding("confirmed", "confirmed", nil)
  eq(why, "the HR department (人力资源部) confirmed")
  f, why = finding()
  eq(f, nil)
  eq(why, "no source has answered yet")
end)

local function methods(fields)
  fields.id = "c1"
  local out = eval("check_plan", fields)
  return out.record.methods, out.decisions[1].explanation
end

test("phone for every manager (电话核查:适用于所有管理人员), front-line included", function()
  for _, level in ipairs { "frontline", "middle", "senior" } do eq(methods({ level = level }), { "phone" }, level) end
  eq(methods({ level = "staff" }), {})
  eq(methods({ level = "staff", employer_local = false }), { "phone" })
  eq(methods({ level = "staff", employer_local = true }), {})
end)

test("field investigation only for a senior manager, contract terminated, same city or nearby", function()
  local m, why = methods { level = "senior", contract_terminated = true, nearby = true }
  eq(m, { "phone", "field" })
  contains(why, "已与原单位解除劳动合同且为同城或异地近距离")
  eq(methods({ level = "senior", contract_terminated = false, nearby = true }), { "phone" })
  eq(methods({ level = "senior", contract_terminated = true, nearby = false }), { "phone" })
  eq(methods({ level = "middle", contract_terminated = true, nearby = true }), { "phone" })
end)

test("education online for graduates of 2003 and later (2003年后), from the school before", function()
  eq(methods({ level = "staff", graduated = 2003 }), { "online_education" })
  eq(methods({ level = "staff", graduated = 2004 }), { "online_education" })
  local m, why = methods { level = "staff", graduated = 2002 }
  eq(m, { "education_issuer" })
  eq(why, "education_issuer: graduated 2002, before 2003: ask the school")
end)
