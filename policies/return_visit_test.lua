test("3 working days from a visit on Friday 18 September, over the make-up Sunday", function()
  local out = eval("return_visit", { id = "v1", visited_at = "2026-09-18T10:00:00+08:00", issues_found = true })
  -- Sun 20 (make-up), Mon 21, Tue 22: due Tue 22 September 18:00
  eq(out.deadlines[1].due, "2026-09-22T18:00:00+08:00")
end)

test("no issues, no deadline", function()
  local out = eval("return_visit", { id = "v2", visited_at = "2026-09-18T10:00:00+08:00", issues_found = false })
  eq(out.deadlines, nil)
end)

test("explanations in Chinese, the make-up Sunday named", function()
  local out = eval("return_visit", { id = "v1", visited_at = "2026-09-18T10:00:00+08:00", issues_found = true })
  eq(out.decisions[1].i18n["zh-CN"][1], "处理问题并反馈期限:9月22日(周二)18:00(回访后3个工作日内；9月20日为调休上班日)")
  out = eval("return_visit", { id = "v2", visited_at = "2026-09-18T10:00:00+08:00", issues_found = false })
  eq(out.decisions[1].i18n["zh-CN"][1], "未发现问题:无需跟进")
end)
