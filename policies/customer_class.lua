-- customer_class.lua — A/B/C/D customer classes for patrol visits (document 000, duplicated in 002;
-- rules.md §2.5, §7.26).
--
--   依其性质、规模、销售额和经营发展趋势等…分为A、B、C、D四类,实行分级管理: the classes are named, but the
--   document gives NO thresholds. The figures below are ILLUSTRATIVE, invented for the example (rules.md §10.15):
--   replace them with the company's own before relying on a class. Read as: A is the largest or the fast-growing
--   large client, D the rest; only annual sales (yuan) and growth (percent, year on year) are used, since
--   性质 (nature) and 规模 (size) have no scale in the document either.
--   巡访人员…原则上不能由本地区的负责业务员担任 (§7.26): the patrol visitor is, as a rule, not the local account
--   representative. 原则上 (as a rule) leaves exceptions to a person: when patrol_by is local_rep, the record is
--   held for the sales manager (销售部经理) to decide (scripts/override.lua: decided_by, decision,
--   decision_reason).
local dtable = require "dtable"
local override = require "override"

-- ILLUSTRATIVE thresholds (the document has none): annual sales in yuan, growth in percent.
local CLASSES = dtable.new {
  name = "customer classes (illustrative)", hit = "first",
  inputs = { "annual_sales", "growth" },
  rules = {
    { "A", when = { annual_sales = ">= 5000000" } },
    { "A (growing)", out = "A", when = { annual_sales = ">= 2000000", growth = ">= 20" } },
    { "B", when = { annual_sales = ">= 1000000" } },
    { "C", when = { annual_sales = ">= 200000" } },
    { "D" },
  },
}
local MANAGER = override.by { role = "sales_manager", who = "the sales manager (销售部经理)" }

-- Every sentence of this policy, in one place.
local SAY = {
  class = "class %s (illustrative thresholds: the document gives none): %s",
  local_rep = "the patrol visitor %s is the local account representative (原则上不能由本地区的负责业务员担任)",
}

policy {
  name   = "customer_class",
  type   = "patrol_customer",
  doc    = "A/B/C/D classes by sales and growth (ILLUSTRATIVE thresholds); patrol visitor not the local rep.",
  fields = override.fields {
    annual_sales = number { min = 0 }, growth = "number?", patrol_by = "string?", local_rep = "string?",
  },
  decide = function(r, d)
    local class, why = CLASSES:eval(r)
    d:set("class", class, string.format(SAY.class, class, why))
    local person = {}
    if r.patrol_by and r.patrol_by == r.local_rep then
      person[1] = string.format(SAY.local_rep, r.patrol_by)
    end
    if MANAGER:ask(d, person, r.decided_by, r.decision, r.decision_reason) then return end
    if r.patrol_by and #person == 0 then d:verdict("pass") end
  end,
}
