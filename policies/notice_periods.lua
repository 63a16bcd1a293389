-- notice_periods.lua — the "within N days after an event" rules of rules.md §5 that have no policy of their
-- own, one policy each, made from the table WITHIN below, and two rules of order (§5.14, §5.54).
--
-- Counting (民法典 第二百零一条, 第二百零三条): the day of the event is not counted; a period of N days ends at the end
-- (24:00) of the Nth day after it; a period of months ends at the end of the same date that many months on.
-- Until the `done` date is recorded, a deadline of the policy's name is pending; past it, the event "overdue"
-- names the rule. A done date after the period is held as late, naming both dates.
local fmt = require "fmt"

-- Each rule: name (the policy and its deadline), type (the record type), from (the event's date field), done
-- (the date field that ends it), within (a period, or a table of periods by the field `by`), what, quote.
local WITHIN = {
  { name = "service_return_visit", type = "service_visit", from = "served_on", done = "visited_on", within = "3 days",
    what = "return visit", quote = "必须保证在三天之内回访", ref = "004, §5.7 (天: calendar days)" },
  { name = "new_client_contact", type = "client_assignment", from = "assigned_on", done = "contacted_on",
    within = "7 days", what = "first contact", quote = "应在一周内与客户进行沟通", ref = "004, §5.8 (一周: 7 days)" },
  { name = "repair_callback", type = "property_repair", from = "repaired_on", done = "called_back_on",
    by = "repair_kind", within = { safety = "2 days", leak = "3 days", other = "2 days" },
    what = "call-back", quote = "安全设施维修2天内回访…渗漏水项目维修试漏后3天内回访…其他维修项目2天内回访",
    ref = "004, §5.52 (a leak counts from the leak test: repaired_on is its date)" },
  { name = "dunning_letter", type = "property_arrears", from = "phoned_on", done = "paid_on", within = "3 months",
    what = "payment before the formal letter by express mail", quote = "电话通知后三个月内仍未缴纳的业主…发出正式催缴函",
    ref = "004, §5.53 (overdue: send the letter)" },
  { name = "report_for_duty", type = "new_hire", from = "medical_passed_on", done = "reported_on", within = "1 day",
    what = "report for duty", quote = "体检合格次日报到", ref = "001, §5.56 (次日: the next day)" },
  { name = "interview_result", type = "interviewee", from = "second_interview_on", done = "notified_on",
    within = "7 days", what = "result notice", quote = "复试结果应于一周之内通知",
    ref = "001, §5.55 (read as the second interview's result; the other line is garbled)" },
}

local RECRUIT_LEAD = { ordinary = "-1 month", important = "-2 months" } -- 一般岗位提前1个月、重要岗位提前2个月

-- Every sentence of this file, in one place.
local SAY = {
  due      = "%s due by %s: within %s of %s (%s; %s)",
  done     = "%s on %s, within %s of %s",
  late     = "%s on %s, after the end of %s: later than %s of %s (%s)",
  lead_ok  = "requested %s for a need on %s: by %s, %s ahead for an %s post (一般岗位提前1个月、重要岗位提前2个月)",
  lead_no  = "requested %s for a need on %s: after %s, less than %s ahead (一般岗位提前1个月、重要岗位提前2个月)",
  fee_ok   = "special-fee application %s, before the contract of %s (必须在签订合同前填写)",
  fee_void = "special-fee application %s, not before the contract of %s: void (必须在签订合同前填写《新客户特殊费用申请表》)",
}

local function day(date) return calendar.parse(date .. "T00:00") end

-- The end of the period `within` after the day `date`.
local function period_end(date, within)
  return calendar.end_of_day((calendar.add(day(date), within)))
end

for _, rule in ipairs(WITHIN) do
  local fields = { [rule.from] = "date", [rule.done] = "date?" }
  if rule.by then
    local kinds = {}
    for k in pairs(rule.within) do kinds[#kinds + 1] = k end
    table.sort(kinds)
    fields[rule.by] = enum(kinds)
  end
  policy {
    name   = rule.name,
    type   = rule.type,
    doc    = rule.what .. " within " .. (rule.by and "a period by " .. rule.by or rule.within) .. " (" .. rule.ref .. ")",
    fields = fields,
    decide = function(r, d)
      local within = rule.by and rule.within[r[rule.by]] or rule.within
      local from = r[rule.from]
      local due = period_end(from, within)
      local done = r[rule.done]
      if not done then
        d:deadline(rule.name, due)
        d:because(string.format(SAY.due, rule.what, fmt.due(due), within, from, rule.quote, rule.ref))
        return
      end
      d:cancel(rule.name)
      if day(done) >= due then
        d:verdict("hold", string.format(SAY.late, rule.what, done, calendar.date(due - 1), within, from, rule.quote))
      else
        d:verdict("pass", string.format(SAY.done, rule.what, done, within, from))
      end
    end,
    timers = {
      [rule.name] = function(r, d, t) d:emit("overdue", { rule = rule.name, what = rule.what, due = t.due }) end,
    },
  }
end

policy {
  name   = "recruit_lead_time",
  type   = "recruit_request",
  doc    = "A recruiting request 1 month ahead, 2 for an important post (document 004, §5.54).",
  fields = { requested_on = "date", needed_on = "date", important = "boolean?" },
  decide = function(r, d)
    local kind = r.important and "important" or "ordinary"
    local by = calendar.date((calendar.add(day(r.needed_on), RECRUIT_LEAD[kind])))
    local ahead = RECRUIT_LEAD[kind]:sub(2)
    if r.requested_on <= by then
      d:verdict("pass", string.format(SAY.lead_ok, r.requested_on, r.needed_on, by, ahead, kind))
    else
      d:verdict("hold", string.format(SAY.lead_no, r.requested_on, r.needed_on, by, ahead))
    end
  end,
}

policy {
  name   = "special_fee_order",
  type   = "special_fee",
  doc    = "A new client's special-fee application is made before the contract (document 000, §5.14).",
  fields = { applied_on = "date", contract_on = "date" },
  decide = function(r, d)
    if r.applied_on < r.contract_on then
      d:verdict("pass", string.format(SAY.fee_ok, r.applied_on, r.contract_on))
    else
      d:verdict("reject", string.format(SAY.fee_void, r.applied_on, r.contract_on))
    end
  end,
}
