-- client_care.lua — schedules from the customer-service rules:
--   客服部每年12月负责向新老客户寄送新年礼物 (document 000, §5.15): a yearly reminder on 1 December;
--   在重要节假日或客户生日时 … 编写短信 (document 002, §5.18): a greeting on each contact's birthday;
--   一年内项目每月回访一次, 一年以上的项目每季回访一次 (document 000, §5.10): project return visits,
--   monthly in the first year after delivery (the 12-month visit included: 一年内), quarterly after.
-- Each handler emits the reminder and re-arms its own deadline for the occurrence after the day that
-- fired: a schedule that survives restarts. A greeting or reminder falls at 09:00 of its day, or at
-- once when that hour has passed and the day has not (saved on the morning of the birthday: greeted
-- that day); a visit is due by the end of its day (民法典 第二百零三条).
local schedule = require "schedule"

policy {
  name = "contact_birthday",
  type = "contact",
  fields = { birthday = "date?" },
  decide = function(r, d)
    if not r.birthday then d:cancel("birthday") return end
    local next = schedule.anniversary(r.birthday, bylaw.now())
    d:deadline("birthday", next)
    d:because("next birthday greeting " .. calendar.format(next))
  end,
  timers = {
    birthday = function(r, d, t)
      d:emit("greeting", { contact = r.id, occasion = "birthday" })
      d:deadline("birthday", schedule.anniversary(r.birthday, calendar.end_of_day(t.due)))
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
      d:emit("reminder", { text = "send New Year gifts to new and old clients; ask next year's needs" })
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
    d:because("next return visit by the end of " .. calendar.date(next - 1))
  end,
  timers = {
    visit = function(r, d, t)
      d:emit("return_visit_due", { project = r.id, due = t.due })
      d:deadline("visit", schedule.visits(r.delivered_on, t.due))
    end,
  },
}
