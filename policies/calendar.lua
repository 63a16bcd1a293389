-- calendar.lua — the working-day calendar the deadline policies count in (docs/calendar.md).
--
-- None of the company documents lists holidays or office hours (rules.md §5, last line). These are
-- China's public holidays for 2026 as published by the State Council (国务院办公厅关于2026年部分节假日
-- 安排的通知, 4 November 2025; docs/calendar.md §9), with the make-up working days (调休上班). Add each
-- new year's schedule when it is published: bylaw knows no holidays by itself.
calendar {
  name = "default",
  zone = "Asia/Shanghai",
  hours = { "09:00", "18:00" },     -- deadlines in working days fall at the close, 18:00
  weekend = { "saturday", "sunday" },
  holidays = {
    "2026-01-01..2026-01-03",       -- 元旦
    "2026-02-15..2026-02-23",       -- 春节
    "2026-04-04..2026-04-06",       -- 清明节
    "2026-05-01..2026-05-05",       -- 劳动节
    "2026-06-19..2026-06-21",       -- 端午节
    "2026-09-25..2026-09-27",       -- 中秋节
    "2026-10-01..2026-10-07",       -- 国庆节
  },
  workdays = { "2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10" },
}
