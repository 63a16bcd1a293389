-- attendance.lua — outings and attendance (document 002, 员工外出管理; rules.md §3.15, §5.35, §5.36). The
-- approval of an outing (who signs) is a workflow (§6.12, another change); this file reads the outing's facts.
--
-- outing_attendance (type outing):
--   严禁利用外出时间去往其它地点或办理私事,一经发现按旷工处理: a private errand found during an outing → absent
--     (旷工);
--   私自外出,且外出审批单没有交到治安门岗哪里的,考勤视为旷工: an outing without approval (approved false) whose form
--     did not reach the gate (form_at_gate false) → absent. Reading: both halves (且) are needed;
--   需在前一天下午17:30点前至综合办公室进行登记: registered before 17:30 of the day before the outing (前: 17:30
--     itself is too late, rules.md §5.35); a later registration is held for the approver.
--   预计返回时间应设定在下班时间前 (§5.37): the planned return (planned_return) is before the close of office hours
--     that day (calendar.lua's hours; 前: the close itself is too late, as for 17:30); a later one is held.
--   Otherwise the day counts as an outing (attendance "outing").
-- punch_correction (type missed_punch):
--   当天或第二日上午第一时间补填《补卡申请表》: the correction form on the day of the missed punch or first thing
--   the next morning; read as by 12:00 (上午: the morning) of the next day. A later form is held.
local CUTOFF = "17:30"     -- 前一天下午17:30点前
local MORNING_ENDS = "12:00" -- 第二日上午

-- Every sentence of this file, in one place.
local SAY = {
  errand     = "a private errand during the outing: absent (办理私事,一经发现按旷工处理)",
  unapproved = "an outing without approval, its form not at the gate: absent (私自外出…考勤视为旷工)",
  outing     = "an approved outing",
  late_reg   = "registered %s, not before %s the day before (需在前一天下午17:30点前…登记)",
  late_back  = "planned return %s, not before the close of office hours %s (预计返回时间应设定在下班时间前)",
  punch_late = "correction form %s, after %s (当天或第二日上午第一时间补填)",
  punch_ok   = "correction form %s, by %s",
}

local function at(date, time) return calendar.parse(date .. "T" .. time) end

policy {
  name   = "outing_attendance",
  type   = "outing",
  doc    = "Absent (旷工) for a private errand or an unapproved outing; registration by 17:30 the day before.",
  fields = { outing_on = "date", registered_at = "datetime?", approved = "boolean?", form_at_gate = "boolean?",
             private_errand = "boolean?", planned_return = "datetime?" },
  decide = function(r, d)
    if r.private_errand then
      d:set("attendance", "absent", SAY.errand)
    elseif r.approved == false and r.form_at_gate == false then
      d:set("attendance", "absent", SAY.unapproved)
    else
      d:set("attendance", "outing", SAY.outing)
    end
    if r.registered_at then
      local cutoff = calendar.add(at(r.outing_on, CUTOFF), "-1 day")
      if calendar.parse(r.registered_at) >= cutoff then
        d:verdict("hold", string.format(SAY.late_reg, r.registered_at, calendar.format(cutoff)))
      end
    end
    if r.planned_return then
      local back = calendar.parse(r.planned_return)
      local close = at(calendar.date(back), calendar.info().close)
      if back >= close then
        d:verdict("hold", string.format(SAY.late_back, r.planned_return, calendar.format(close)))
      end
    end
  end,
}

policy {
  name   = "punch_correction",
  type   = "missed_punch",
  doc    = "A missed punch is corrected the same day or the next morning (document 002, §5.36).",
  fields = { missed_on = "date", filed_at = "datetime" },
  decide = function(r, d)
    local by = calendar.add(at(r.missed_on, MORNING_ENDS), "1 day")
    local filed = calendar.parse(r.filed_at)
    if filed > by then
      d:verdict("hold", string.format(SAY.punch_late, r.filed_at, calendar.format(by)))
    else
      d:verdict("pass", string.format(SAY.punch_ok, r.filed_at, calendar.format(by)))
    end
  end,
}
