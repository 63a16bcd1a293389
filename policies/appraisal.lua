-- appraisal.lua — performance pay, merit points and the annual score (document 002, 绩效考核; rules.md §3.5–3.11,
-- §8.5).
--
-- performance_pay (type appraisal, one employee's month):
--   (基本工资+职务工资)*30%=绩效工资基数; 绩效工资实发数=绩效工资基数*绩效成绩 (§3.7, §8.5): the base is
--     (base_salary + position_salary) × 30%, the pay is base × score, both rounded to the fen (0.01 yuan,
--     half up). The score's scale is not given (a factor such as 0.8 or 1.1 is read as it is);
--   所辖部门总体绩效考核结果所占个人考核权重为60%…个人绩效表现权重为40% (§3.9): for director level and above
--     (director = true) the score is 60% department_score + 40% personal_score;
--   若当月无销售任务,对应无绩效工资 (§3.5): a salesperson with no task that month (sales_task = false) gets none;
--   试用期未满三个月的员工不纳入考核…考核时间从正式录用当月开始考核 (§3.11): appraisal starts in the month of the
--     formal hire (formal_on); a month before it is not appraised, so no performance pay is computed. The
--     scores' composition (self + manager, §3.8) has no weights in the document: the score is taken as given.
-- merit_points (type merit_event): 有突出贡献,每次加1分,工作有明显重大失误,每次扣1分 (§3.6): +1 per outstanding
--   contribution, −1 per clear major error, in the event's month.
-- annual_score (type annual_appraisal): 通过汇总员工每月的月度成绩得出全年的平均考核成绩 (§3.10, 永州路桥): the
--   mean of the monthly scores given (months not appraised are left out, not counted as 0).
local fmt = require "fmt"

local PAY_SHARE = 0.30                          -- (基本工资+职务工资)*30%
local DEPARTMENT_WEIGHT, PERSONAL_WEIGHT = 0.6, 0.4 -- 60% / 40%
local MERIT = { contribution = 1, major_error = -1 } -- 每次加1分 / 每次扣1分

-- Every sentence of this file, in one place.
local SAY = {
  pay        = "performance pay %s = (base %s + position %s) × 30%% = %s × score %s ((基本工资+职务工资)*30%%*绩效成绩)",
  weighted   = "score %s = 60%% × department %s + 40%% × personal %s (所辖部门…60%%, 个人…40%%)",
  no_task    = "no sales task this month: no performance pay (若当月无销售任务,对应无绩效工资)",
  probation  = "not appraised in %s: formally hired on %s (考核时间从正式录用当月开始考核)",
  no_score   = "no score recorded: %s",
  merit      = { contribution = "outstanding contribution: +1 (有突出贡献,每次加1分)",
                 major_error = "clear major error: -1 (工作有明显重大失误,每次扣1分)" },
  annual     = "annual score %s: the mean of %d monthly scores (汇总员工每月的月度成绩得出全年的平均考核成绩)",
  no_months  = "no monthly score to average",
}

local function fen(x) return math.floor(x * 100 + 0.5) / 100 end
local n = fmt.number

policy {
  name   = "performance_pay",
  type   = "appraisal",
  doc    = "Performance pay = (base + position salary) × 30% × score (document 002, §3.7, §8.5).",
  fields = {
    month = "month", base_salary = number { min = 0 }, position_salary = number { min = 0 },
    score = optional(number { min = 0 }), director = "boolean?",
    department_score = optional(number { min = 0 }), personal_score = optional(number { min = 0 }),
    sales_task = "boolean?", formal_on = "date?",
  },
  decide = function(r, d)
    if r.formal_on and r.formal_on:sub(1, 7) > r.month then
      d:set("performance_pay", nil, string.format(SAY.probation, r.month, r.formal_on))
      return
    end
    if r.sales_task == false then
      d:set("performance_pay", 0, SAY.no_task)
      return
    end
    local score = r.score
    if r.director then
      if not (r.department_score and r.personal_score) then
        d:verdict("hold", string.format(SAY.no_score, "a director needs department_score and personal_score"))
        return
      end
      score = fen(DEPARTMENT_WEIGHT * r.department_score + PERSONAL_WEIGHT * r.personal_score)
      d:because(string.format(SAY.weighted, n(score), n(r.department_score), n(r.personal_score)))
    elseif not score then
      d:verdict("hold", string.format(SAY.no_score, "score"))
      return
    end
    local base = fen((r.base_salary + r.position_salary) * PAY_SHARE)
    local pay = fen(base * score)
    d:set("performance_pay_base", base)
    d:set("performance_pay", pay, string.format(SAY.pay, n(pay), n(r.base_salary), n(r.position_salary), n(base),
      n(score)))
  end,
}

policy {
  name   = "merit_points",
  type   = "merit_event",
  doc    = "+1 per outstanding contribution, -1 per clear major error (document 002, §3.6).",
  fields = { employee = "string", kind = enum { "contribution", "major_error" }, month = "month?" },
  decide = function(r, d)
    d:points(r.employee, MERIT[r.kind], SAY.merit[r.kind], r.month)
  end,
}

policy {
  name   = "annual_score",
  type   = "annual_appraisal",
  doc    = "The annual score is the mean of the monthly scores (document 002, §3.10).",
  fields = { monthly_scores = "table" },
  decide = function(r, d)
    local sum, count = 0, 0
    for i, s in ipairs(r.monthly_scores) do
      if type(s) ~= "number" then error(string.format("monthly_scores[%d] must be a number, got %s", i, type(s))) end
      sum, count = sum + s, count + 1
    end
    if count == 0 then d:verdict("hold", SAY.no_months) return end
    local mean = fen(sum / count)
    d:set("annual_score", mean, string.format(SAY.annual, n(mean), count))
  end,
}
