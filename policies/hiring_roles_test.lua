-- hiring_roles_test.lua — hiring_roles.lua for every post class.
local function roles(class)
  local out = eval("hire", { id = "h1", post_class = class })
  return out.record.interviewer, out.record.signer, out.decisions[1].explanation
end

test("front-line staff: the HR manager interviews (一线人员由人力资源部经理进行面试), the HR & admin manager signs", function()
  local i, s, why = roles("frontline")
  eq({ i, s }, { "hr_manager", "hr_admin_manager" })
  eq(why, "interviewed by hr_manager, signed by hr_admin_manager: rule 1 'front-line staff': post_class is frontline")
end)

test("professional staff: their department manager interviews (由相应部门经理进行面试); the general manager signs", function()
  eq({ roles("professional") }, { "department_manager", "general_manager", select(3, roles("professional")) })
end)

test("front-line managers, back office and above: the general manager signs (由总经理签字批准)", function()
  for _, class in ipairs { "frontline_manager", "back_office", "senior" } do
    local i, s = roles(class)
    eq({ i, s }, { "hr_manager", "general_manager" }, class)
  end
  fails(function() roles("intern") end, "field 'post_class' must be one of")
end)
