-- calendar.lua — the working-day calendar the deadline policies count in (docs/calendar.md).
--
-- None of the company documents lists holidays or office hours (rules.md §5, last line), so this is
-- an EXAMPLE schedule around China's National Day 2026: the holiday week 1–7 October and the make-up
-- working days Sunday 27 September and Saturday 10 October. Replace it with the State Council's
-- published schedule for the years you run (国务院办公厅关于节假日安排的通知) before going live.
calendar {
  name = "default",
  zone = "Asia/Shanghai",
  hours = { "09:00", "18:00" },                 -- end of business 18:00: deadlines fall at the close
  weekend = { "saturday", "sunday" },
  holidays = { "2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-10-05", "2026-10-06", "2026-10-07" },
  workdays = { "2026-09-27", "2026-10-10" },    -- make-up working days (调休上班)
}
