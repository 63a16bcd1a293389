-- client_care.lua — schedules from the customer-service rules:
--   客服部每年12月负责向新老客户寄送新年礼物 (document 000, §5.15): a yearly reminder on 1 December;
--   在重要节假日或客户生日时,对现有的各种级别客户均须编写短信 (document 002, §5.18): a greeting on each
--     contact's birthday, and to clients of every level on each important holiday (HOLIDAYS below);
--   一年内项目每月回访一次, 一年以上的项目每季回访一次 (document 000, §5.10): project return visits,
--   monthly in the first year after delivery (the 12-month visit included: 一年内), quarterly after.
-- Each handler emits the reminder and re-arms its own deadline for the occurrence after the day that
-- fired: a schedule that survives restarts. A greeting or reminder falls at 09:00 of its day, or at
-- once when that hour has passed and the day has not (saved on the morning of the birthday: greeted
-- that day); a visit is due by the end of its day (民法典 第二百零三条).
local schedule = require "schedule"

-- 重要节假日: the document names none. Reading: the public holidays of China's calendar (policies/calendar.lua)
-- that are occasions for greetings; 清明节 (tomb-sweeping) is a public holiday but no occasion to greet
-- clients, so it is left out. The greeting falls at 09:00 on the holiday's first day (the festival itself).
-- The lunar ones move every year: add each year's dates with the calendar's holidays.
local HOLIDAYS = {
  { "New Year's Day (元旦)",    fixed = "01-01" },
  { "Spring Festival (春节)",   "2026-02-17", "2027-02-06" },
  { "Labour Day (劳动节)",      fixed = "05-01" },
  { "Dragon Boat (端午节)",     "2026-06-19", "2027-06-09" },
  { "Mid-Autumn (中秋节)",      "2026-09-25", "2027-09-15" },
  { "National Day (国庆节)",    fixed = "10-01" },
}

-- Every sentence of this file, in one place.
local SAY = {
  birthday = "next birthday greeting %s",
  holiday  = "next holiday greeting %s: %s (在重要节假日…均须编写短信)",
  gifts    = "send New Year gifts to new and old clients; ask next year's needs",
  visit    = "next return visit by the end of %s",
}

-- The first holiday greeting whose day has not ended at `after`: its instant and name (past the lunar dates
-- listed, the fixed holidays go on alone).
local function next_holiday(after)
  local best, name
  for _, h in ipairs(HOLIDAYS) do
    local dates = {}
    if h.fixed then
      local m, dd = h.fixed:match("^(%d+)-(%d+)$")
      dates[1] = schedule.yearly(tonumber(m), tonumber(dd), after)
    else
      for i = 2, #h do dates[#dates + 1] = calendar.parse(h[i] .. "T09:00") end
    end
    for _, t in ipairs(dates) do
      if calendar.end_of_day(t) > after and (best == nil or t < best) then best, name = t, h[1] end
    end
  end
  return best, name
end

policy {
  name = "contact_birthday",
  type = "contact",
  fields = { birthday = "date?" },
  decide = function(r, d)
    if not r.birthday then d:cancel("birthday") return end
    local next = schedule.anniversary(r.birthday, bylaw.now())
    d:deadline("birthday", next)
    d:because(string.format(SAY.birthday, calendar.format(next)))
  end,
  timers = {
    birthday = function(r, d, t)
      d:emit("greeting", { contact = r.id, occasion = "birthday" })
      d:deadline("birthday", schedule.anniversary(r.birthday, calendar.end_of_day(t.due)))
    end,
  },
}

-- One `holiday_calendar` record per company: a greeting to clients of every level on each holiday.
local function arm_holiday(d, after)
  local t, name = next_holiday(after)
  d:deadline("holiday", t, { occasion = name })
  d:because(string.format(SAY.holiday, calendar.format(t), name))
end

policy {
  name = "holiday_greetings",
  type = "holiday_calendar",
  decide = function(r, d) arm_holiday(d, bylaw.now()) end,
  timers = {
    holiday = function(r, d, t)
      d:emit("greeting", { occasion = t.payload.occasion, to = "clients of every level" })
      arm_holiday(d, calendar.end_of_day(t.due))
    end,
  },
}

policy {
  name = "new_year_gifts",
  type = "gift_calendar",
  decide = function(r, d)
    d:deadline("gifts", schedule.yearly(12, 1, bylaw.now()))
  end,
  timers = {
    gifts = function(r, d, t)
      d:emit("reminder", { text = SAY.gifts })
      d:deadline("gifts", schedule.yearly(12, 1, calendar.end_of_day(t.due)))
    end,
  },
}

policy {
  name = "project_visits",
  type = "project",
  fields = { delivered_on = "date?" },
  decide = function(r, d)
    if not r.delivered_on then return end
    local next = schedule.visits(r.delivered_on, bylaw.now())
    d:deadline("visit", next)
    d:because(string.format(SAY.visit, calendar.date(next - 1)))
  end,
  timers = {
    visit = function(r, d, t)
      d:emit("return_visit_due", { project = r.id, due = t.due })
      d:deadline("visit", schedule.visits(r.delivered_on, t.due))
    end,
  },
}
