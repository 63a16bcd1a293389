-- reference_check.lua — what a background check's sources say, and how each fact is checked (document 000,
-- background checks; rules.md §4.3, §4.5).
--
-- reference_finding (type reference_check), §4.3:
--   问询结果不一致时,应遵循人力资源部>直属上级>同事的原则: when the former employer's HR department, the direct
--   supervisor and colleagues disagree, HR wins, then the supervisor, then a colleague. Each answer is
--   "confirmed" or "contradicted" (what the candidate claimed); the finding is the answer of the highest
--   source that answered, and the explanation names the sources it outranked when they disagree.
-- check_methods (type check_plan), §4.5, the methods a check uses (methods, a list):
--   电话核查:适用于所有管理人员 → "phone" for every manager (level frontline, middle or senior); and, in the
--     如何做 variant, 电话(适用于原单位未在本地的一般员工) → "phone" for staff whose former employer is not local;
--   实地调查…已与原单位解除劳动合同且为同城或异地近距离 → "field" for a senior manager whose labour contract with
--     the former employer is terminated and who is in the same city or nearby;
--   中国高等教育网,可用于查验2003年后毕业生的毕业/学位证 → "online_education" for graduates of 2003 and later
--     (2003年后: read as 2003 included, rules.md §4.5 AMBIGUOUS), else "education_issuer" (ask the school).
--   The 如何做 variant also requires an in-person visit (上门拜访) for department managers and above wherever the
--   former employer is; it conflicts with the field condition above (rules.md §4.5): a company that follows
--   it sets VISIT_MANAGERS_ANYWHERE to true, and senior managers then get "visit" whatever their contract.
local VISIT_MANAGERS_ANYWHERE = false -- 如何做 variant: 无论其原单位是否在本地,均须上门拜访
local ONLINE_FROM_YEAR = 2003         -- 2003年后毕业生 (2003 included)
local ORDER = {                       -- 人力资源部>直属上级>同事
  { field = "hr_says",         who = "the HR department (人力资源部)" },
  { field = "supervisor_says", who = "the direct supervisor (直属上级)" },
  { field = "colleague_says",  who = "a colleague (同事)" },
}
local MANAGERS = { frontline = true, middle = true, senior = true }

-- Every sentence of this file, in one place.
local SAY = {
  finding   = "%s %s",
  outranks  = "; it outranks %s, who said %s (人力资源部>直属上级>同事)",
  none      = "no source has answered yet",
  phone_mgr = "phone: every manager (电话核查:适用于所有管理人员)",
  phone_far = "phone: staff whose former employer is not local (原单位未在本地的一般员工)",
  field     = "field: a senior manager, contract terminated, same city or nearby (已与原单位解除劳动合同且为同城或异地近距离)",
  visit     = "visit: a manager, wherever the former employer is (无论其原单位是否在本地,均须上门拜访)",
  online    = "online_education: graduated %d, from 2003 on (中国高等教育网…2003年后毕业生)",
  issuer    = "education_issuer: graduated %d, before 2003: ask the school",
}

policy {
  name   = "reference_finding",
  type   = "reference_check",
  doc    = "When sources disagree, HR > direct supervisor > colleague (document 000, §4.3).",
  fields = {
    hr_says = optional(enum { "confirmed", "contradicted" }),
    supervisor_says = optional(enum { "confirmed", "contradicted" }),
    colleague_says = optional(enum { "confirmed", "contradicted" }),
  },
  decide = function(r, d)
    local answers = { hr_says = r.hr_says, supervisor_says = r.supervisor_says, colleague_says = r.colleague_says }
    local win
    for _, s in ipairs(ORDER) do
      local said = answers[s.field]
      if said and not win then
        win = { who = s.who, said = said, text = string.format(SAY.finding, s.who, said) }
      elseif said and said ~= win.said then
        win.text = win.text .. string.format(SAY.outranks, s.who, said)
      end
    end
    if not win then d:set("finding", nil, SAY.none) return end
    d:set("finding", win.said, win.text)
  end,
}

policy {
  name   = "check_methods",
  type   = "check_plan",
  doc    = "How a background check is done: phone, field, visit, online education (document 000, §4.5).",
  fields = {
    level = enum { "staff", "frontline", "middle", "senior" }, employer_local = "boolean?",
    contract_terminated = "boolean?", nearby = "boolean?", graduated = "integer?",
  },
  decide = function(r, d)
    local methods, why = {}, {}
    local function use(m, text) methods[#methods + 1] = m; why[#why + 1] = text end
    if MANAGERS[r.level] then
      use("phone", SAY.phone_mgr)
    elseif r.employer_local == false then
      use("phone", SAY.phone_far)
    end
    if r.level == "senior" then
      if VISIT_MANAGERS_ANYWHERE then
        use("visit", SAY.visit)
      elseif r.contract_terminated and r.nearby then
        use("field", SAY.field)
      end
    end
    if r.graduated then
      if r.graduated >= ONLINE_FROM_YEAR then
        use("online_education", string.format(SAY.online, r.graduated))
      else
        use("education_issuer", string.format(SAY.issuer, r.graduated))
      end
    end
    d:set("methods", methods, table.concat(why, "; "))
  end,
}
