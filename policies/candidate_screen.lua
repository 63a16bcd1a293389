-- candidate_screen.lua — hiring screen (documents 004 and 000; rules.md §4.1–4.7).
--
-- Reject (有下列情形之一者,不得录用为本公司员工, document 004), every reason that applies:
--   有刑事(拘留、判刑等)记录者 · 未成年者 (under 18) · 曾在本公司被除名者 · 和其他企业劳动合同未到期者
--   精神病史、传染病或其它重疾者 · 有欺诈行为者
-- Otherwise hold while a required background check is not done (document 000):
--   required for 管人、管财、管物的关键岗位 (key_post) and 中、高层管理人员 (level middle or senior);
--   在调查之前必须通知求职者,也应该事先争得求职者本身的同意 — without consent, ask for it first;
--   a senior manager's check covers 不少于3个近的任职单位 and 5年以内从事的岗位 (at least 3 employers
--   and 5 years), else hold.
-- Otherwise pass.
--
-- Readings: a flag that is absent counts as "not found" (the screen reads what HR recorded); age absent
-- is held (the age must be known to rule out a minor). The serious-illness disqualifier is encoded
-- because the document and the issue require it; rules.md warns it may conflict with anti-discrimination
-- law, so HR should confirm it is lawful for the post before relying on it.
-- Deliberately NOT encoded: document 004's first-round screening on gender, looks (容貌气质) and household
-- registration (户口). bylaw ships no default policy that screens on them.
local dtable = require "dtable"

local ADULT_AGE = 18 -- 未成年者: under 18 in Chinese law

local DISQUALIFIERS = dtable.new {
  hit = "collect",
  { name = "criminal record (有刑事记录者)", when = { criminal_record = true } },
  { name = "under 18 (未成年者)", when = { age = { "<", ADULT_AGE } } },
  { name = "dismissed by this company before (曾在本公司被除名者)", when = { dismissed_by_us = true } },
  { name = "labour contract elsewhere not ended (和其他企业劳动合同未到期者)", when = { other_contract_active = true } },
  { name = "serious illness as the document words it (精神病史、传染病或其它重疾者)", when = { serious_illness = true } },
  { name = "fraud (有欺诈行为者)", when = { fraud = true } },
}

local CHECK_LEVELS = { middle = true, senior = true }  -- 中、高层管理人员
local SENIOR_MIN_EMPLOYERS, SENIOR_MIN_YEARS = 3, 5    -- 不少于3个近的任职单位; 5年以内

policy {
  name = "candidate_screen",
  type = "candidate",
  fields = {
    age = "integer?", criminal_record = "boolean?", dismissed_by_us = "boolean?",
    other_contract_active = "boolean?", serious_illness = "boolean?", fraud = "boolean?",
    key_post = "boolean?", level = "string?", consent = "boolean?", background_check = "string?",
    employers_checked = "integer?", years_checked = "number?",
  },
  decide = function(r, d)
    local hits, whys = DISQUALIFIERS:eval(r)
    for i = 1, #hits do d:verdict("reject", "reject: " .. whys[i]) end
    if #hits > 0 then return end

    if r.age == nil then
      d:verdict("hold", "hold: age not recorded; confirm the candidate is " .. ADULT_AGE .. " or older")
    end
    local level = r.level or "staff"
    if level ~= "staff" and not CHECK_LEVELS[level] then
      d:verdict("hold", string.format("hold: level %q is not staff, middle or senior", level))
      return
    end
    local required = r.key_post or CHECK_LEVELS[level]
    if required then
      local why = r.key_post and "key post (管人、管财、管物)" or (level .. " manager (中、高层管理人员)")
      local check = r.background_check or "none"
      if check ~= "done" then
        if not r.consent then
          d:verdict("hold", "hold: background check required for a " .. why .. "; ask the candidate's consent first")
          d:emit("consent_request", { candidate = r.id, reason = why })
        else
          d:verdict("hold", "hold: background check required for a " .. why .. ", status " .. check)
        end
        return
      end
      if level == "senior" then
        local employers, years = r.employers_checked or 0, r.years_checked or 0
        if employers < SENIOR_MIN_EMPLOYERS or years < SENIOR_MIN_YEARS then
          d:verdict("hold", string.format(
            "hold: a senior manager's check needs at least %d recent employers over %d years; it covered %d over %s",
            SENIOR_MIN_EMPLOYERS, SENIOR_MIN_YEARS, employers, tostring(years)))
          return
        end
      end
      d:verdict("pass", "pass: no disqualifier; background check done for a " .. why)
    else
      d:verdict("pass", "pass: no disqualifier; no background check required for staff level")
    end
  end,
}
