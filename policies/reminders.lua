-- reminders.lua — the recurring duties of rules.md §5 that are a date, not a period after an event: one
-- policy per duty, all bound to the company's `company_calendar` record (one per company). Each arms its next
-- occurrence; the handler emits "reminder" { duty, text } and re-arms for the one after (a schedule that
-- survives restarts, as client_care.lua's).
--
-- An occurrence is at `time` on a matching day; one whose day has not ended is still to come (saved on a
-- Friday afternoon, that Friday's reminder fires at once). Readings where the document gives no day:
-- 每周 without a day (§5.5) → Monday; 按月 / 每月 without a day → the last day of the month (§5.17 月底, §5.59); the monthly mailing (§5.19) →
-- the 1st; 每半年一次 (§5.20) → 1 June and 1 December; 每月20日前 (§5.34) → a reminder on the 15th, due before
-- the 20th; 每年12月份 (§5.40) → 1 December.
local WEEKDAYS = { Mon = 1, Tue = 2, Wed = 3, Thu = 4, Fri = 5, Sat = 6, Sun = 7 }

local DUTIES = {
  { name = "weekly_report", weekday = "Fri", time = "14:00", ref = "000, §5.16",
    text = "weekly report at the Friday-afternoon department meeting (每周五下午部门例会)" },
  { name = "suggestions_summary", weekday = "Mon", time = "09:00", ref = "003, §5.5",
    text = "classify and summarise the week's suggestions for the business departments (每周进行分类和汇总,提交给相关业务部门)" },
  { name = "supervision_report", day = "last", time = "09:00", ref = "000, §5.17",
    text = "the month's service-supervision report to the general manager (月底编制《服务监督报告》并上报公司总经理)" },
  { name = "client_mailing", day = 1, time = "09:00", ref = "002, §5.19",
    text = "mail the newsletter and fund announcements to VIP, high, quasi-high and mid clients, not target clients " ..
           "(中级净值客户寄送公司内刊及基金项目公告)" },
  { name = "vip_event", day = 1, months = { 6, 12 }, time = "09:00", ref = "002, §5.20",
    text = "the half-yearly VIP event with the general manager (每半年一次客户尊享活动,由总经理亲自参与)" },
  { name = "service_bulletin", day = 15, time = "09:00", ref = "002, §5.34",
    text = "the customer-service bulletin is due before the 20th (每月20日前编制客户服务信息简报)" },
  { name = "appraisal_forms", day = 28, time = "09:00", ref = "002, §5.29",
    text = "send the monthly appraisal forms to the department heads (每月28日由综合部向各部门负责人下发)" },
  { name = "annual_appraisal", day = 20, months = { 12 }, time = "09:00", ref = "002, §5.30",
    text = "start the annual appraisal (在每年度12月20日)" },
  { name = "training_plan", day = 1, months = { 12 }, time = "09:00", ref = "002, §5.40",
    text = "next year's external-training plan to HR (每年12月份,将下一年度的外出培训计划报公司人力资源部)" },
  { name = "outsourcing_billing", day = "last", time = "09:00", ref = "003, §5.59",
    text = "bill the month's outsourcing fee (按月计算外包服务费)" },
}

-- Every sentence of this file, in one place.
local SAY = { next = "next: %s (%s)" }

local DAY = 86400

local function matches(duty, t)
  if duty.weekday then return WEEKDAYS[calendar.weekday(t)] == WEEKDAYS[duty.weekday] end
  local m, dd = calendar.date(t):match("^%d+-(%d+)-(%d+)$")
  m, dd = tonumber(m), tonumber(dd)
  if duty.months then
    local in_month = false
    for _, mm in ipairs(duty.months) do in_month = in_month or mm == m end
    if not in_month then return false end
  end
  if duty.day == "last" then return calendar.date(t + DAY):sub(6, 7) ~= calendar.date(t):sub(6, 7) end
  return dd == duty.day
end

-- The first occurrence of the duty whose day has not ended at `after`.
local function next_of(duty, after)
  local noon = calendar.parse(calendar.date(after) .. "T12:00")
  for i = 0, 400 do
    local t = noon + i * DAY
    if matches(duty, t) then
      local at = calendar.parse(calendar.date(t) .. "T" .. duty.time)
      if calendar.end_of_day(at) > after then return at end
    end
  end
  error("no occurrence of " .. duty.name .. " within 400 days")
end

for _, duty in ipairs(DUTIES) do
  local function arm(d, after)
    local at = next_of(duty, after)
    d:deadline(duty.name, at)
    d:because(string.format(SAY.next, calendar.format(at), duty.text))
  end
  policy {
    name   = duty.name,
    type   = "company_calendar",
    doc    = duty.text .. " (" .. duty.ref .. ")",
    decide = function(r, d) arm(d, bylaw.now()) end,
    timers = {
      [duty.name] = function(r, d, t)
        d:emit("reminder", { duty = duty.name, text = duty.text })
        arm(d, calendar.end_of_day(t.due))
      end,
    },
  }
end
