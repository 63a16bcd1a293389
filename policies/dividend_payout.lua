-- dividend_payout.lua — the investment department's and finance's steps of a fund dividend run (document 002;
-- rules.md §5.24–5.28, §6.7). The customer-service side (return visit, computation, finance check, §5.21–5.23)
-- is dividend.lua's; this record (type dividend_payout) carries the rest.
--
--   投资管理部须在派息到期日前30天按照合同中约定的利率测算 (§5.24): the interest due is calculated by the end of the
--     day 30 calendar days before due_on (calculated);
--   须在项目公司付息日7个工作日再次与项目公司确定付息日期 (§5.25): the 前 (before) is missing in the document; read as
--     7 working days BEFORE project_pay_on (rules.md §5.25 AMBIGUOUS), at the close of that working day (reconfirmed);
--   在2个工作日内根据《投资人派息测算表》完成向投资人派息的工作 (§5.26): investors paid within 2 working days of the
--     interest being verified (interest_verified_at → paid_at);
--   应在1个工作日内告知客服部 (§5.27): customer service told within 1 working day of the payout (→ notified_at);
--   2个工作日内完成投资人派息回访工作 (§5.28): the post-payout return visit within 2 working days of that notice
--     (→ revisited_at).
-- Each step's deadline is pending until its done field is recorded; past it, event "escalation". A step done
-- after its deadline is held as late.
local fmt = require "fmt"

local STEPS = {
  { name = "calculate", before = "due_on", offset = "-30 days", day_end = true, done = "calculated",
    what = "interest calculation", quote = "派息到期日前30天…测算" },
  { name = "reconfirm", before = "project_pay_on", offset = "-7 working days", done = "reconfirmed",
    what = "payment date re-confirmed with the project company", quote = "项目公司付息日7个工作日再次…确定" },
  { name = "pay", from = "interest_verified_at", within = "2 working days", done = "paid_at",
    what = "payout to investors", quote = "在2个工作日内…完成向投资人派息" },
  { name = "notify", from = "paid_at", within = "1 working day", done = "notified_at",
    what = "customer service told", quote = "应在1个工作日内告知客服部" },
  { name = "revisit", from = "notified_at", within = "2 working days", done = "revisited_at",
    what = "post-payout return visit", quote = "2个工作日内完成投资人派息回访工作" },
}

-- Every sentence of this policy, in one place.
local SAY = {
  due  = "%s due by %s (%s)",
  late = "%s done %s, after its deadline %s (%s)",
}

-- The deadline of a step, or nil while its anchor is not recorded.
local function due_of(s, r)
  if s.before then
    local anchor = r[s.before]
    if not anchor then return nil end
    local t = calendar.add(anchor .. (s.day_end and "T00:00" or "T18:00"), s.offset)
    return s.day_end and calendar.end_of_day(t) or calendar.close_of(t)
  end
  local from = r[s.from]
  return from and (calendar.add(from, s.within))
end

local function escalate(r, d, t) d:emit("escalation", { step = t.payload.step, dividend = r.id, due = t.due }) end

policy {
  name   = "dividend_payout",
  type   = "dividend_payout",
  doc    = "The investment department's and finance's dividend steps (document 002, §5.24–5.28).",
  fields = {
    due_on = "date?", project_pay_on = "date?", calculated = "datetime?", reconfirmed = "datetime?",
    interest_verified_at = "datetime?", paid_at = "datetime?", notified_at = "datetime?", revisited_at = "datetime?",
  },
  decide = function(r, d)
    for _, s in ipairs(STEPS) do
      local due = due_of(s, r)
      local done = r[s.done]
      if due and not done then
        d:deadline(s.name, due, { step = s.what })
        d:because(string.format(SAY.due, s.what, fmt.due(due), s.quote))
      else
        d:cancel(s.name)
        if due and calendar.parse(done) > due then
          d:verdict("hold", string.format(SAY.late, s.what, done, calendar.format(due), s.quote))
        end
      end
    end
  end,
  timers = { calculate = escalate, reconfirm = escalate, pay = escalate, notify = escalate, revisit = escalate },
}
