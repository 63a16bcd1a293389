-- after_sales.lua — after-sales service tickets and maintenance contracts (document 002, rules.md §2.8,
-- §5.45, §5.47, §8.10).
--
-- §2.8 service type (service_type, type service_ticket), tested in this order:
--   一般行政工作(D) / consultation and guidance → D (no repair, nothing charged);
--   在保证期内…免向客户收取费用(包括免收零配件费用及维修工时费用) → C, free;
--   保养合同…一般收取零配件成本费用,免收维修工时费用 → B, parts at cost, labour free;
--   保证期满…向客户收取服务费用(包括零配件费用及维修工时费用) → A, paid: parts and labour.
--   Readings: in warranty and under contract on the day the call is reported (reported_at's date), both end
--   days included (保证期内: the last day of the warranty is still in it).
-- §5.45 市区采用6小时,郊区采用7小时派工制…报修时间至抵达服务时间不得逾上班时间内6小时或7小时: a technician must
--   arrive within 6 working hours (urban) or 7 (suburban) of the report, counted in office hours of the
--   calendar (policies/calendar.lua); deadline "dispatch", cancelled by arrived_at; an arrival after it is
--   reported late (event "sla_breach"). Past it the timer tells the service supervisor (报请服务主任予以协助).
-- §5.47 保养合同期满前1个月…: a maintenance contract's renewal visit falls due one month before ends_on
--   (policy maintenance_renewal, type maintenance_contract), at 09:00.
local fmt = require "fmt"

local DISPATCH = { urban = "6 working hours", suburban = "7 working hours" } -- 市区6小时, 郊区7小时
local RENEWAL_NOTICE = "-1 month"                                         -- 保养合同期满前1个月

-- Every sentence of this file, in one place.
local SAY = {
  D        = "type D: consultation or administrative work (一般行政工作), nothing charged",
  C        = "type C, free (免费): reported %s, within the warranty to %s: no charge for parts or labour",
  B        = "type B, contract (合同): reported %s, maintenance contract to %s: parts at cost, labour free",
  A        = "type A, paid (有偿): reported %s, %s: parts and labour charged",
  no_cover = "no warranty or maintenance contract on that day",
  dispatch = "a technician on site by %s (%s, %s: 市区6小时,郊区7小时派工制)",
  late     = "arrived %s, after %s: later than the %s allowed (不得逾上班时间内6小时或7小时)",
  on_time  = "arrived %s, by %s",
  renewal  = "renewal visit due %s, one month before the contract ends on %s (保养合同期满前1个月)",
}

local function service_type(r)
  if r.kind ~= "repair" then return "D", SAY.D end
  local day = calendar.date(r.reported_at)
  if r.warranty_until and day <= r.warranty_until then
    return "C", string.format(SAY.C, day, r.warranty_until)
  end
  if r.contract_until and day <= r.contract_until then
    return "B", string.format(SAY.B, day, r.contract_until)
  end
  return "A", string.format(SAY.A, day, SAY.no_cover)
end

policy {
  name   = "service_ticket",
  type   = "service_ticket",
  doc    = "After-sales service type A/B/C/D and the 6/7 working-hour dispatch (document 002, §2.8, §5.45).",
  fields = {
    kind = enum { "repair", "consultation", "admin" }, reported_at = "datetime",
    warranty_until = "date?", contract_until = "date?",
    location = optional(enum { "urban", "suburban" }), arrived_at = "datetime?",
  },
  decide = function(r, d)
    d:set("service_type", service_type(r))
    if r.kind ~= "repair" or not r.location then return end
    local within = DISPATCH[r.location]
    local due = calendar.add(r.reported_at, within)
    local arrived = r.arrived_at and calendar.parse(r.arrived_at)
    if not arrived then
      d:deadline("dispatch", due)
      d:because(string.format(SAY.dispatch, fmt.due(due), r.location, within))
      return
    end
    d:cancel("dispatch")
    if arrived > due then
      d:because(string.format(SAY.late, calendar.format(arrived), calendar.format(due), within))
      d:emit("sla_breach", { ticket = r.id, due = calendar.format(due), arrived = calendar.format(arrived) })
    else
      d:because(string.format(SAY.on_time, calendar.format(arrived), calendar.format(due)))
    end
  end,
  timers = {
    dispatch = function(r, d, t) d:emit("escalation", { to = "service_supervisor", ticket = r.id, due = t.due }) end,
  },
}

policy {
  name   = "maintenance_renewal",
  type   = "maintenance_contract",
  doc    = "The renewal visit one month before a maintenance contract ends (document 002, §5.47).",
  fields = { ends_on = "date" },
  decide = function(r, d)
    local due = calendar.add(r.ends_on .. "T09:00", RENEWAL_NOTICE)
    d:deadline("renewal", due)
    d:because(string.format(SAY.renewal, calendar.format(due), r.ends_on))
  end,
  timers = {
    renewal = function(r, d, t) d:emit("renewal_visit", { contract = r.id, ends_on = r.ends_on }) end,
  },
}
