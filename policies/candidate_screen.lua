-- candidate_screen.lua — hiring screen (documents 004 and 000, rules.md §4.1–4.7): reject, hold or pass a
-- candidate, with every reason that applies (one d:verdict per reason; the most severe wins).
--
-- 1. Reject — document 004, 员工录用: 有下列情形之一者,不得录用为本公司员工:
--      (1)精神病史、传染病或其它重疾者 (2)有刑事(拘留、判刑等)记录者 (3)未成年者或有欺诈行为者
--      (4)曾在本公司被除名者 (5)和其他企业劳动合同未到期者
--    Every disqualifier that applies is a reason. A rejected candidate is not held for a background check
--    and is not asked for consent: the check could change nothing.
-- 2. Hold — document 000, background checks (背景调查), while a required check is not done:
--    - required for 管人、管财、管物的关键岗位 (key_post) and 中、高层管理人员 (level "middle" or "senior");
--    - 在调查之前必须通知求职者,也应该事先争得求职者本身的同意后开展: without consent (consent absent) we ask
--      for it first (event "consent_request"). A refusal (consent false) is held for a person to decide:
--      the documents do not say what follows it (rules.md §4.2);
--    - 对中高层管理人员的背调…一般应不少于3个近的任职单位…5年以内从事的岗位都应列入背调的范围: a senior
--      manager's finished check must cover at least 3 recent employers and 5 years, else hold. The item
--      says 中高层 (middle and senior) but stands under 因高层管理人员岗位特殊 (senior posts) and the issue asks
--      for senior managers: SCOPE_LEVELS below; add middle = true to apply it to middle managers too.
--    - an age that is not recorded is held: without it a minor cannot be ruled out.
-- 3. Otherwise pass.
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

local ADULT_AGE = 18                  -- 未成年者: under 18
local CHECK_LEVELS = {                -- 中、高层管理人员: background check required
  middle = "a middle manager",
  senior = "a senior manager",
}
local SCOPE_LEVELS = { senior = true } -- whose check must reach the scope below
local MIN_EMPLOYERS = 3               -- 一般应不少于3个近的任职单位
local MIN_YEARS = 5                   -- 5年以内从事的岗位都应列入背调的范围

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
  fields = {
    age = "integer?", criminal_record = "boolean?", dismissed_by_us = "boolean?", other_contract_active = "boolean?",
    serious_illness = "boolean?", fraud = "boolean?", key_post = "boolean?", consent = "boolean?",
    level = optional(enum { "staff", "middle", "senior" }),
    background_check = optional(enum { "none", "in_progress", "done" }),
    employers_checked = "integer?", years_checked = "number?",
  },
  decide = function(r, d)
    local _, rejects = DISQUALIFIERS:eval(r)
    for i = 1, #rejects do d:verdict("reject", rejects[i]) end
    if #rejects > 0 then return end

    local held = false
    local function hold(why) d:verdict("hold", why); held = true end

    if r.age == nil then hold("age is not recorded: a minor (未成年者) cannot be ruled out") end
    local level, check = r.level or "staff", r.background_check or "none"

    local post = r.key_post and "a key post (管人、管财、管物的关键岗位)" or CHECK_LEVELS[level]
    if not post then
      if not held then d:verdict("pass", "no disqualifier; no background check required (staff level, not a key post)") end
      return
    end
    if check ~= "done" then
      if r.consent == nil then
        hold("background check required for " .. post .. ", not done: the candidate's consent is asked first")
        d:emit("consent_request", { candidate = r.id, required_for = r.key_post and "key_post" or level })
      elseif r.consent == false then
        hold("background check required for " .. post .. ", but the candidate refused consent: " ..
             "the documents do not say what follows, a person decides")
      else
        hold("background check required for " .. post .. ", not done: background_check is " .. check)
      end
      return
    end
    if SCOPE_LEVELS[level] then
      local employers, years = r.employers_checked or 0, r.years_checked or 0
      if employers < MIN_EMPLOYERS then
        hold(string.format("%s's check covers too few employers: employers_checked %d < %d (不少于3个近的任职单位)",
          CHECK_LEVELS[level], employers, MIN_EMPLOYERS))
      end
      if years < MIN_YEARS then
        hold(string.format("%s's check covers too short a span: years_checked %s < %d (5年以内从事的岗位)",
          CHECK_LEVELS[level], tostring(years), MIN_YEARS))
      end
    end
    if not held then d:verdict("pass", "no disqualifier; background check done for " .. post) end
  end,
}
