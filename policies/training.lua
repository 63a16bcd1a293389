-- training.lua — external training: who may go, who approves a costly course, how early to apply, and the
-- sharing after it (document 002; rules.md §4.9, §3.12, §5.38, §5.41, §5.42, §8.7). The approval steps
-- themselves are a workflow (§6.13, another change).
--
-- training_eligibility (type training_candidate):
--   除特殊批准外…已在公司工作满一年及以上、年度考核优秀、有意愿在公司长期工作的员工…劳动合同期内 (BY): at least one
--     full year of service by the course's start (满一年及以上: the anniversary included, from hired_on), an
--     "excellent" annual rating, willing to stay long-term, within the labour-contract term. 除特殊批准外 (unless
--     specially approved): an employee who falls short is held for a person to approve, not rejected;
--   出国培训或者国内培训超过5万元的需报沙漠生态集团总裁审批: a cost over 50,000 yuan (超过: 50,000 itself is not over)
--     needs the group president; when it does, the group president's decision also settles any shortfall
--     above (the higher authority decides once);
--   需按计划提前15天…需提前7天向公司人力资源部以书面形式提出申请: a planned course is applied for at least 15 days
--     before it starts, an ad-hoc one at least 7 (applied_on to starts_on, calendar days); a later application
--     is held for the approver too.
--   The approver is recorded in decided_by, decision and decision_reason (scripts/override.lua).
-- training_sharing (type training_return):
--   学习回来30日内…经验交流; 对未进行经验交流的单位或部门在当月绩效考核中予以扣分: the sharing session within 30
--   days of returned_on (the day of return not counted: by the end of the 30th day after); past it, event
--   "sharing_overdue" for the department. The deduction has no figure in the document: the event asks the
--   appraisers to set it, no points are given.
local fmt = require "fmt"
local override = require "override"

local MIN_SERVICE = "1 year"           -- 满一年及以上
local PRESIDENT_ABOVE = 50000          -- 超过5万元
local LEAD_DAYS = { planned = 15, ad_hoc = 7 } -- 提前15天 / 提前7天
local SHARING_WITHIN = "30 days"       -- 学习回来30日内
local SPECIAL = override.by { role = "general_manager", who = "the general manager (总经理, 特殊批准)" }
local PRESIDENT = override.by { role = "group_president", who = "the group president (集团总裁)" }

-- Every sentence of this file, in one place.
local SAY = {
  service   = "hired %s: one full year of service only on %s (已在公司工作满一年及以上)",
  rating    = "annual rating %s, not excellent (年度考核优秀)",
  willing   = "not recorded as willing to stay long-term (有意愿在公司长期工作)",
  contract  = "not within the labour-contract term (劳动合同期内)",
  cost      = "cost %s yuan is over 50,000 (超过5万元的需报集团总裁审批)",
  late      = "applied %s for a course starting %s: %d days ahead, fewer than the %d required (提前%d天)",
  eligible  = "eligible: a full year of service, rated excellent, willing to stay, within the contract",
  sharing   = "sharing session due by %s (学习回来30日内)",
  shared    = "shared on %s",
}

local function days_between(a, b)
  return (calendar.parse(b .. "T00:00") - calendar.parse(a .. "T00:00")) // 86400
end

policy {
  name   = "training_eligibility",
  type   = "training_candidate",
  doc    = "Who may go to external training, and who approves (document 002, §4.9, §8.7, §5.41–5.42).",
  fields = override.fields {
    hired_on = "date", rating = optional(enum { "excellent", "good", "fair", "poor" }),
    willing_long_term = "boolean?", contract_in_term = "boolean?", cost = optional(number { min = 0 }),
    kind = enum { "planned", "ad_hoc" }, applied_on = "date", starts_on = "date",
  },
  decide = function(r, d)
    local short = {}
    local year = calendar.add(r.hired_on .. "T00:00", MIN_SERVICE)
    if year > calendar.parse(r.starts_on .. "T00:00") then
      short[#short + 1] = string.format(SAY.service, r.hired_on, calendar.date(year))
    end
    if r.rating ~= "excellent" then short[#short + 1] = string.format(SAY.rating, r.rating or "not recorded") end
    if r.willing_long_term ~= true then short[#short + 1] = SAY.willing end
    if r.contract_in_term ~= true then short[#short + 1] = SAY.contract end
    local lead, ahead = LEAD_DAYS[r.kind], days_between(r.applied_on, r.starts_on)
    if ahead < lead then short[#short + 1] = string.format(SAY.late, r.applied_on, r.starts_on, ahead, lead, lead) end
    local decider = SPECIAL
    if r.cost and r.cost > PRESIDENT_ABOVE then
      table.insert(short, 1, string.format(SAY.cost, fmt.number(r.cost)))
      decider = PRESIDENT
    end
    if decider:ask(d, short, r.decided_by, r.decision, r.decision_reason) then return end
    if #short == 0 then d:verdict("pass", SAY.eligible) end
  end,
}

policy {
  name   = "training_sharing",
  type   = "training_return",
  doc    = "The sharing session within 30 days of returning from training (document 002, §5.38, §3.12).",
  fields = { returned_on = "date", shared_on = "date?", department = "string" },
  decide = function(r, d)
    if r.shared_on then
      d:cancel("sharing")
      d:because(string.format(SAY.shared, r.shared_on))
      return
    end
    local due = calendar.end_of_day((calendar.add(r.returned_on .. "T00:00", SHARING_WITHIN)))
    d:deadline("sharing", due)
    d:because(string.format(SAY.sharing, calendar.format(due)))
  end,
  timers = {
    sharing = function(r, d, t)
      d:emit("sharing_overdue", { department = r.department, returned_on = r.returned_on, due = t.due })
    end,
  },
}
