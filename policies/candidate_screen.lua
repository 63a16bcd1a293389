-- candidate_screen.lua — hiring screen (documents 004 and 000, rules.md §4.1–4.7): reject, hold or pass a
-- candidate, with every reason that applies (one d:verdict per reason; the most severe wins).
--
-- 1. Reject — document 004, 员工录用: 有下列情形之一者,不得录用为本公司员工:
--      (1)精神病史、传染病或其它重疾者 (2)有刑事(拘留、判刑等)记录者 (3)未成年者或有欺诈行为者
--      (4)曾在本公司被除名者 (5)和其他企业劳动合同未到期者
--    Every disqualifier that applies is a reason. A rejected candidate is not held for a background check
--    and is not asked for consent: the check could change nothing.
-- 2. Hold — document 000, background checks (背景调查), while a required check is not done:
--    - 公司所有拟录用的管理人员都应进行背调; 重点是管人、管财、管物的关键岗位和中、高层管理人员: every manager
--      (level "frontline" 一线管理, "middle" or "senior") and every key post (key_post) needs a check;
--    - 在调查之前必须通知求职者,也应该事先争得求职者本身的同意后开展: without consent (consent absent) we ask
--      for it first (event "consent_request"). A refusal (consent false) is held for a person to decide:
--      the documents do not say what follows it (rules.md §4.2);
--    - 对中高层管理人员的背调…一般应不少于3个近的任职单位…5年以内从事的岗位都应列入背调的范围: a middle or
--      senior manager's finished check must cover at least 3 recent employers and the last 5 years, else hold.
--      「一般」 makes the 3 employers a norm, not an absolute: a candidate who had fewer than 3 employers in
--      the whole career (employers_total), all of them checked, is held for the hiring approver to decide
--      (一线管理及后线职员及以上级别人选由总经理签字批准: the general manager signs for managers). A career
--      shorter than 5 years (career_years) is covered whole when all of it is checked.
--    - an age that is not recorded is held: without it a minor cannot be ruled out.
-- 3. Otherwise pass.
-- Where a person decides (a refused consent, fewer than 3 employers in a whole career) the general manager's
-- decision is recorded in decided_by, decision and decision_reason (scripts/override.lua): the verdict is theirs,
-- explained. The rejections of 004 (不得录用) and a check not done are never overridden.
--
-- Readings: a disqualifier flag that is absent counts as not found (the screen reads what HR recorded);
-- 未成年 is under 18 (18 周岁 is of age); level absent is "staff"; background_check absent is "none".
--
-- The serious_illness disqualifier (1) is encoded because the document lists it and the issue requires
-- it. rules.md warns that refusing work for illness may conflict with anti-discrimination and employment
-- law: HR must confirm it is lawful, and limited to what the post requires, before relying on it.
-- Deliberately NOT encoded: document 004's first-round screening 从文化程度、性别、年龄、工作经验、容貌气质、户口
-- — gender, looks and household registration (hukou) are never screened on, whatever the record holds.
local dtable = require "dtable"
local override = require "override"

local ADULT_AGE = 18                  -- 未成年者: under 18
local CHECK_LEVELS = {                -- 公司所有拟录用的管理人员都应进行背调
  frontline = "a front-line manager",
  middle = "a middle manager",
  senior = "a senior manager",
}
local SCOPE_LEVELS = { middle = true, senior = true } -- 对中高层管理人员的背调: whose check must reach the scope
local MIN_EMPLOYERS = 3               -- 一般应不少于3个近的任职单位
local MIN_YEARS = 5                   -- 5年以内从事的岗位都应列入背调的范围
local APPROVER = override.by { role = "general_manager", who = "the general manager (总经理)" }

-- Every sentence of this policy, in one place.
local SAY = {
  no_age      = "age is not recorded: a minor (未成年者) cannot be ruled out",
  no_check    = "no disqualifier; no background check required (staff level, not a key post)",
  key_post    = "a key post (管人、管财、管物的关键岗位)",
  ask_consent = "background check required for %s, not done: the candidate's consent is asked first",
  refused     = "background check required for %s, but the candidate refused consent: the documents do not say " ..
                "what follows",
  not_done    = "background check required for %s, not done: background_check is %s",
  employers   = "%s's check covers too few employers: employers_checked %d < %d (不少于3个近的任职单位)",
  career      = "%s had %d employer(s) in the whole career, all checked, fewer than the usual %d " ..
                "(一般应不少于3个近的任职单位: a norm)",
  years       = "%s's check covers too short a span: years_checked %s < %s (5年以内从事的岗位)",
  done        = "no disqualifier; background check done for %s",
}

local DISQUALIFIERS = dtable.new {
  name = "disqualifiers", hit = "collect",
  inputs = { "criminal_record", "age", "fraud", "dismissed_by_us", "other_contract_active", "serious_illness" },
  rules = {
    { "criminal record",       when = { criminal_record = true } },         -- (2)有刑事(拘留、判刑等)记录者
    { "minor",                 when = { age = "< " .. ADULT_AGE } },        -- (3)未成年者
    { "fraud",                 when = { fraud = true } },                   -- (3)有欺诈行为者
    { "dismissed by us",       when = { dismissed_by_us = true } },         -- (4)曾在本公司被除名者
    { "other contract active", when = { other_contract_active = true } },   -- (5)和其他企业劳动合同未到期者
    { "serious illness",       when = { serious_illness = true } },         -- (1)精神病史、传染病或其它重疾者
  },
}

policy {
  name   = "candidate_screen",
  type   = "candidate",
  fields = override.fields {
    age = "integer?", criminal_record = "boolean?", dismissed_by_us = "boolean?", other_contract_active = "boolean?",
    serious_illness = "boolean?", fraud = "boolean?", key_post = "boolean?", consent = "boolean?",
    level = optional(enum { "staff", "frontline", "middle", "senior" }),
    background_check = optional(enum { "none", "in_progress", "done" }),
    employers_checked = "integer?", years_checked = "number?",
    employers_total = optional(integer { min = 0 }), career_years = optional(number { min = 0 }),
  },
  decide = function(r, d)
    local _, rejects = DISQUALIFIERS:eval(r)
    for i = 1, #rejects do d:verdict("reject", rejects[i]) end
    if #rejects > 0 then return end

    local held, person = false, {}
    local function hold(why) d:verdict("hold", why); held = true end

    if r.age == nil then hold(SAY.no_age) end
    local level, check = r.level or "staff", r.background_check or "none"

    local post = r.key_post and SAY.key_post or CHECK_LEVELS[level]
    if not post then
      if not held then d:verdict("pass", SAY.no_check) end
      APPROVER:ask(d, person, r.decided_by, r.decision, r.decision_reason)
      return
    end
    if check ~= "done" then
      if r.consent == nil then
        hold(string.format(SAY.ask_consent, post))
        d:emit("consent_request", { candidate = r.id, required_for = r.key_post and "key_post" or level })
      elseif r.consent == false then
        person[#person + 1] = string.format(SAY.refused, post)
      else
        hold(string.format(SAY.not_done, post, check))
      end
    elseif SCOPE_LEVELS[level] then
      local employers, total = r.employers_checked or 0, r.employers_total
      if employers < MIN_EMPLOYERS then
        if total and total < MIN_EMPLOYERS and employers >= total then
          person[#person + 1] = string.format(SAY.career, CHECK_LEVELS[level], total, MIN_EMPLOYERS)
        else
          hold(string.format(SAY.employers, CHECK_LEVELS[level], employers, MIN_EMPLOYERS))
        end
      end
      local years = r.years_checked or 0
      local need = math.min(MIN_YEARS, r.career_years or MIN_YEARS)
      if years < need then
        hold(string.format(SAY.years, CHECK_LEVELS[level], tostring(years), tostring(need)))
      end
    end
    if held then return end
    if APPROVER:ask(d, person, r.decided_by, r.decision, r.decision_reason) then return end
    if #person == 0 then d:verdict("pass", string.format(SAY.done, post)) end
  end,
}
