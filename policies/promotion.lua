-- promotion.lua — promotion eligibility and the trial after it (document 002, 晋升; rules.md §3.13, §4.9, §5.43).
--
-- promotion_eligibility (type promotion_candidate):
--   在公司定期进行的员工360度考评中连续两次得分位于前三名的 : top 3 (rank 1, 2 or 3) in each of the last two
--     360° reviews (rank_last, rank_before);
--   在现有岗位工作半年以上的: at least six months in the current post (以上: six months included), counted
--     from in_post_since to now, by calendar months;
--   Reading: the document lists them as two numbered conditions without 或 (or): both are required
--     (rules.md §3.13 AMBIGUOUS, suggested AND). Every condition not met is a reason; not eligible is a reject.
-- promotion_trial (type promotion):
--   需经历3个月的试用期…延长试用期或退回原岗位,试用期最长不超过6个月: the trial ends 3 months after
--     promoted_on, plus extension_months (at most 3: the trial never passes 6 months); deadline "trial" at the
--     end of that day, whose timer asks for the trial review (event "trial_review").
local TOP = 3                 -- 前三名
local TIMES = 2               -- 连续两次
local MIN_IN_POST = "6 months" -- 半年以上
local TRIAL_MONTHS = 3        -- 3个月的试用期
local MAX_TRIAL_MONTHS = 6    -- 最长不超过6个月

-- Every sentence of this file, in one place.
local SAY = {
  rank_ok   = "360° ranks %d and %d: top %d twice in a row (连续两次得分位于前三名)",
  rank_no   = "360° ranks %s and %s: not top %d twice in a row (连续两次得分位于前三名)",
  post_ok   = "in the post since %s: six months on %s (在现有岗位工作半年以上)",
  post_no   = "in the post since %s: six months only on %s (在现有岗位工作半年以上)",
  eligible  = "eligible for promotion",
  trial     = "trial of %d months ends %s (需经历3个月的试用期%s)",
  extended  = ", extended by %d: 试用期最长不超过6个月",
}

policy {
  name   = "promotion_eligibility",
  type   = "promotion_candidate",
  doc    = "Top 3 in two 360° reviews in a row and six months in the post (document 002, §3.13).",
  fields = { rank_last = "integer?", rank_before = "integer?", in_post_since = "date" },
  decide = function(r, d)
    local a, b = r.rank_last, r.rank_before
    local ok = true
    if a and b and a <= TOP and b <= TOP then
      d:because(string.format(SAY.rank_ok, a, b, TOP))
    else
      ok = false
      d:verdict("reject", string.format(SAY.rank_no, tostring(a or "none"), tostring(b or "none"), TOP))
    end
    local six = calendar.add(r.in_post_since .. "T00:00", MIN_IN_POST)
    if six <= bylaw.now() then
      d:because(string.format(SAY.post_ok, r.in_post_since, calendar.date(six)))
    else
      ok = false
      d:verdict("reject", string.format(SAY.post_no, r.in_post_since, calendar.date(six)))
    end
    if ok then d:verdict("pass", SAY.eligible) end
  end,
}

policy {
  name   = "promotion_trial",
  type   = "promotion",
  doc    = "The 3-month trial after a promotion, extended to 6 months at most (document 002, §5.43).",
  fields = { promoted_on = "date", extension_months = optional(integer { min = 0, max = MAX_TRIAL_MONTHS - TRIAL_MONTHS }),
             confirmed = "boolean?" },
  decide = function(r, d)
    if r.confirmed ~= nil then d:cancel("trial") return end
    local ext = r.extension_months or 0
    local months = TRIAL_MONTHS + ext
    local ends = calendar.end_of_day((calendar.add(r.promoted_on .. "T00:00", months .. " months")))
    d:deadline("trial", ends)
    d:because(string.format(SAY.trial, months, calendar.format(ends), ext > 0 and string.format(SAY.extended, ext) or ""))
  end,
  timers = {
    trial = function(r, d, t) d:emit("trial_review", { promotion = r.id, promoted_on = r.promoted_on }) end,
  },
}
