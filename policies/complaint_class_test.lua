-- complaint_class_test.lua — complaint_class.lua: every content type, every severity test, their order
-- (major before malicious before ordinary), a complaint not valid and one not yet judged.
local function case(fields)
  fields.id = fields.id or "q1"
  fields.content_type = fields.content_type or "complaint"
  local out = eval("complaint_case", fields)
  return out.record.severity, out.decisions[1]
end

test("inquiries and suggestions (咨询、建议) have no severity", function()
  local s, d = case { content_type = "inquiry", untrue = true }
  eq(s, nil)
  eq(d.explanation, "inquiry (咨询) is not a complaint: no severity")
  s = case { content_type = "suggestion", demands_termination = true }
  eq(s, nil)
end)

test("major (重大): termination demanded, or a serious effect on the company's image", function()
  local s, d = case { demands_termination = true, valid = true }
  eq(s, "major")
  eq(d.explanation, "rule 1 'major: termination demanded (客户要求终止服务合作)': demands_termination is true")
  eq(case { major_image_impact = true }, "major")
end)

test("malicious (恶意): untrue, or defamation through the internet or media", function()
  local s, d = case { untrue = true }
  eq(s, "malicious")
  contains(d.explanation, "malicious: untrue (反映情况不属实)")
  eq(case { defames_via_media = true, valid = true }, "malicious")
end)

test("major is tested before malicious, and the explanation says it was also untrue", function()
  local s, d = case { demands_termination = true, untrue = true }
  eq(s, "major")
  contains(d.explanation, "also reported untrue: major is tested first")
end)

test("ordinary (普通): any other valid complaint (其他有效的客户投诉)", function()
  local s, d = case { valid = true, scope = "attitude" }
  eq(s, "ordinary")
  eq(d.explanation, "scope: attitude (服务态度); rule 6 'ordinary (其他有效的客户投诉)': valid is true")
end)

test("not valid (投诉不能成立): no severity, a tactful answer; not judged: held", function()
  local s, d = case { valid = false }
  eq(s, nil)
  contains(d.explanation, "answer the client tactfully (用婉转的方式答复客户)")
  s, d = case {}
  eq(s, nil)
  eq(d.verdict, "hold")
  eq(d.explanation, "held until validity (成立) is judged: valid true or false")
end)

test("an unknown content type or scope is refused by field", function()
  fails(function() case { content_type = "praise" } end,
    [[field 'content_type' must be one of "inquiry", "suggestion" or "complaint", got "praise"]])
  fails(function() case { scope = "price" } end, "field 'scope' must be one of")
end)
