-- schedule.lua — recurring deadlines. A timer handler re-proposes its own deadline with these to make
-- a schedule (docs/policies.md, "Deadlines").
--
--   schedule.monthly_workday(3, now)          -- close of the 3rd working day of this month, else next
--   schedule.yearly(12, 1, now)               -- 1 December, 09:00: this year's while that day lasts
--   schedule.anniversary("1980-02-29", now)   -- the birthday (29 February: the 28th in other years)
--   schedule.visits(delivered, now)           -- monthly during the first year after delivery, then quarterly
--
-- A day lasts until its end (民法典 第二百零三条: 24:00): yearly and anniversary give the occurrence
-- whose day has not ended at `after`, at `time` (default 09:00) — which may have passed already today:
-- a deadline proposed in the past fires at once, so a contact saved on the morning of their birthday is
-- greeted that day. A handler re-arms with the end of the day that fired: schedule.anniversary(date,
-- calendar.end_of_day(t.due)) is next year's. visits are due at the end of their day.
--
-- Instants are seconds or ISO 8601 text (read in the calendar's zone); results are seconds. The last
-- argument of each may name a calendar (default "default").
local M = {}

local format, tonumber = string.format, tonumber

local function ymd(t, cal)
  local s = calendar.format(t, cal)
  local y, m, d = s:match("^(%d+)-(%d+)-(%d+)")
  return tonumber(y), tonumber(m), tonumber(d)
end

local function at(y, m, d, time, cal)
  return calendar.parse(format("%04d-%02d-%02dT%s", y, m, d, time or "09:00"), cal)
end

local function leap(y) return (y % 4 == 0 and y % 100 ~= 0) or y % 400 == 0 end

-- The close of the nth working day of the first month (from after's month on) whose one is after `after`.
function M.monthly_workday(n, after, cal)
  local t0 = calendar.parse(after, cal)
  local y, m = ymd(t0, cal)
  for _ = 1, 24 do
    local t = calendar.nth_workday(y, m, n, cal)
    if t and t > t0 then return t end
    m = m + 1
    if m > 12 then y, m = y + 1, 1 end
  end
  error(format("no month within two years has %d working days", n), 2)
end

-- month/day at `time` (default "09:00") of the first year whose such day has not ended at `after`.
function M.yearly(month, day, after, time, cal)
  local t0 = calendar.parse(after, cal)
  local y = ymd(t0, cal)
  for k = -1, 4 do
    local d = day
    if month == 2 and day == 29 and not leap(y + k) then d = 28 end
    local t = at(y + k, month, d, time, cal)
    if calendar.end_of_day(t, cal) > t0 then return t end
  end
end

-- The anniversary of a date ("YYYY-MM-DD") whose day has not ended at `after`, at `time`.
function M.anniversary(date, after, time, cal)
  local _, m, d = date:match("^(%d+)-(%d+)-(%d+)$")
  if not m then error(format("bad argument #1 to 'anniversary' (expected YYYY-MM-DD, got %q)", tostring(date)), 2) end
  return M.yearly(tonumber(m), tonumber(d), after, time, cal)
end

-- 一年内项目每月回访一次, 一年以上的项目每季回访一次: visits at start + 1, 2, ... 12 months, then every
-- 3 months (15, 18, ...), each due at the end of its day: the first whose end is after `after`. The
-- visit at exactly 12 months is the last monthly one (一年内 includes it).
function M.visits(start, after, cal)
  local s, t0 = calendar.parse(start, cal), calendar.parse(after, cal)
  local k = 1
  while true do
    local t = calendar.end_of_day((calendar.add(s, k .. " months", cal)), cal)
    if t > t0 then return t end
    k = k < 12 and k + 1 or k + 3
    if k > 1200 then error("no visit within a hundred years", 2) end
  end
end

return M
