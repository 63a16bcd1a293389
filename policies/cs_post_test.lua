-- cs_post_test.lua — cs_post.lua at every bound: 5.9, 6 and 7 years for a manager, 3.9 and 4 for a
-- supervisor, each degree.
local function apply(post, education, years)
  return eval("cs_applicant", { id = "a1", post = post, education = education, cs_years = years }).decisions[1]
end

test("manager: a bachelor's degree and 6 years (6年以上, 6 included); 5.9 years is short", function()
  eq(apply("manager", "bachelor", 6).verdict, "pass")
  eq(apply("manager", "master", 7).verdict, "pass")
  local d = apply("manager", "bachelor", 5.9)
  eq(d.verdict, "reject")
  eq(d.explanation, "customer-service manager (客户服务经理) needs 6 years of customer-service management or more " ..
    "(6年以上客户服务管理经验), got 5.9")
end)

test("supervisor: 4 years (4年以上); 3.9 is short", function()
  eq(apply("supervisor", "bachelor", 4).verdict, "pass")
  eq(apply("supervisor", "bachelor", 3.9).verdict, "reject")
end)

test("every post needs a bachelor's degree or above (本科以上学历)", function()
  local d = apply("specialist", "below_bachelor")
  eq(d.verdict, "reject")
  eq(d.explanation, "customer-service specialist (专员) needs a bachelor's degree or above (本科以上学历), got below_bachelor")
  local d2 = apply("specialist", "bachelor")
  eq(d2.verdict, "pass")
  eq(d2.explanation, "meets the requirements of a customer-service specialist (专员)")
  eq(#apply("manager", "below_bachelor", 2).reasons, 2)
  eq(apply("supervisor", "doctor", 10).verdict, "pass")
end)
