-- promotion_test.lua — promotion.lua: ranks 3 and 4 (前三名), one review or two, six months in the post
-- to the day (半年以上), both conditions required; the trial of 3 months, extended to 6 at most.
local function candidate(last, before, since)
  clock.set("2026-11-20T10:00:00+08:00")
  return eval("promotion_candidate", { id = "p1", rank_last = last, rank_before = before,
                                       in_post_since = since or "2026-01-01" }).decisions[1]
end

test("top 3 twice in a row and six months in the post: eligible", function()
  local d = candidate(1, 3)
  eq(d.verdict, "pass")
  eq(d.reasons[1], "360° ranks 1 and 3: top 3 twice in a row (连续两次得分位于前三名)")
end)

test("rank 4 in either review, or only one review: not eligible", function()
  local d = candidate(4, 1)
  eq(d.verdict, "reject")
  eq(d.reasons[1], "360° ranks 4 and 1: not top 3 twice in a row (连续两次得分位于前三名)")
  eq(candidate(2, 4).verdict, "reject")
  d = candidate(1, nil)
  eq(d.verdict, "reject")
  contains(d.explanation, "ranks 1 and none")
end)

test("six months in the post to the day is enough (半年以上 includes it); a day less is not", function()
  eq(candidate(1, 1, "2026-05-20").verdict, "pass")
  local d = candidate(1, 1, "2026-05-21")
  eq(d.verdict, "reject")
  eq(d.reasons[2], "in the post since 2026-05-21: six months only on 2026-11-21 (在现有岗位工作半年以上)")
end)

test("both conditions are required (AND): each one missing is a reason", function()
  local d = candidate(5, 1, "2026-10-01")
  eq(d.verdict, "reject")
  eq(#d.reasons, 2)
end)

test("the trial ends 3 months after the promotion (需经历3个月的试用期)", function()
  clock.set("2026-11-20T10:00:00+08:00")
  local out = put("promotion", { id = "x", promoted_on = "2026-11-30" })
  eq(out.deadlines[1].due, "2027-03-01T00:00:00+08:00") -- the end of 28 February 2027
  eq(out.decisions[1].explanation, "trial of 3 months ends 2027-03-01T00:00:00+08:00 (需经历3个月的试用期)")
end)

test("an extension by 3 months reaches 6 at most (试用期最长不超过6个月); 4 is refused", function()
  local out = eval("promotion", { id = "x", promoted_on = "2026-11-30", extension_months = 3 })
  eq(out.deadlines[1].due, "2027-05-31T00:00:00+08:00")
  contains(out.decisions[1].explanation, "trial of 6 months")
  fails(function() eval("promotion", { id = "x", promoted_on = "2026-11-30", extension_months = 4 }) end,
    "field 'extension_months' must be an integer from 0 to 3, got 4")
end)

test("a confirmed (or reverted) promotion ends the trial's deadline", function()
  clock.set("2026-11-20T10:00:00+08:00")
  put("promotion", { id = "y", promoted_on = "2026-11-30" })
  eq(#timers("promotion", "y"), 1)
  put("promotion", { id = "y", promoted_on = "2026-11-30", confirmed = false })
  eq(#timers("promotion", "y"), 0)
  put("promotion", { id = "z", promoted_on = "2026-08-01" })
  eq(clock.advance("next"), 1)
end)
