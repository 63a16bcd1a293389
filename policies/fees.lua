-- fees.lua — the money rules of rules.md §8 that a record can check (documents 000, 003, 004).
--
-- outsourcing_fee (type outsourcing_bill), 003, §8.1:
--   总体收费标准为服务人员劳务费总额8%---10%: the month's fee is 8% to 10% of the workers' total labour payroll
--   (both ends included); 外包服务费包括业务服务费、相关税费以及风险预控金三部份: when the three parts are recorded
--   they must add up to the fee. Out of range or not adding up is held for finance.
-- outsourcing_staffing (type outsourcing_client), 003, §8.2:
--   每800名派遣员工配备1名专职工作人员…每四名专职工作人员配备1位业务经理: staff = workers / 800 and managers =
--   staff / 4, rounded up (a started 800 needs a person: rules.md §8.2 suggests ceil; the document is silent).
-- fee_advance (type fee_advance), 000, §8.3: 每个销售代表借支限额3000元: an advance of at most 3,000 yuan (限额:
--   3,000 included); more is refused.
-- relationship_fee (type relationship_fee), 000, §8.4 and §7.11:
--   必须实现纯销而且回款之后,才可兑现客情费: paid only once the sale is net (net_sale) and paid for; read as fully
--   collected (collected_rate 1). 也可根据客户回款率来决定客情费兑现率: a company may instead pay fee ×
--   collected_rate: set BY_COLLECTION_RATE to true;
--   缺少任何一方签字,视为无效: the form needs the signatures of the sales clerk, the sales manager and finance
--   (signed, a list of "clerk", "manager", "finance"); one missing makes it void (reject).
-- energy_share (type property_unit), 004, §8.8: 按0.3元/(m2.月)标准收取: the public-energy share is 0.3 yuan per m²
--   per month, to the fen.
local fmt = require "fmt"

local FEE_MIN, FEE_MAX = 0.08, 0.10          -- 8%---10%
local WORKERS_PER_STAFF = 800                -- 每800名派遣员工配备1名专职工作人员
local STAFF_PER_MANAGER = 4                  -- 每四名专职工作人员配备1位业务经理
local ADVANCE_LIMIT = 3000                   -- 借支限额3000元
local BY_COLLECTION_RATE = false             -- 也可根据客户回款率来决定客情费兑现率 (off: paid when fully collected)
local SIGNERS = { "clerk", "manager", "finance" } -- 销售文员、销售部经理、财务部
local ENERGY_PER_M2 = 0.3                    -- 0.3元/(m2.月)

-- Every sentence of this file, in one place.
local SAY = {
  fee_range = "fee %s for a payroll of %s: allowed %s to %s (服务人员劳务费总额8%%---10%%)",
  fee_out   = "fee %s is outside %s to %s, 8%% to 10%% of the payroll %s (8%%---10%%)",
  fee_parts = "service fee %s + taxes %s + risk reserve %s = %s, not the fee %s (业务服务费、相关税费以及风险预控金三部份)",
  staffing  = "%s workers: %d dedicated staff (1 per 800, rounded up) and %d business manager(s) (1 per 4 staff)",
  advance   = "advance %s yuan %s the limit of 3,000 (每个销售代表借支限额3000元)",
  unsigned  = "no %s signature: the form is void (缺少任何一方签字,视为无效)",
  payable   = "fee %s payable: %s",
  not_yet   = "fee not payable yet: %s (必须实现纯销而且回款之后,才可兑现客情费)",
  energy    = "%s m² × 0.3 yuan = %s yuan a month (按0.3元/(m2.月)标准收取)",
}

local n = fmt.number
local function fen(x) return math.floor(x * 100 + 0.5) / 100 end

policy {
  name   = "outsourcing_fee",
  type   = "outsourcing_bill",
  doc    = "The monthly outsourcing fee is 8–10% of the payroll, in three parts (document 003, §8.1).",
  fields = { payroll = number { min = 0 }, fee = number { min = 0 }, service_fee = "number?", taxes = "number?",
             risk_reserve = "number?" },
  decide = function(r, d)
    local lo, hi = fen(r.payroll * FEE_MIN), fen(r.payroll * FEE_MAX)
    d:set("fee_min", lo)
    d:set("fee_max", hi, string.format(SAY.fee_range, n(r.fee), n(r.payroll), n(lo), n(hi)))
    local ok = true
    if r.fee < lo or r.fee > hi then
      ok = false
      d:verdict("hold", string.format(SAY.fee_out, n(r.fee), n(lo), n(hi), n(r.payroll)))
    end
    if r.service_fee or r.taxes or r.risk_reserve then
      local a, b, c = r.service_fee or 0, r.taxes or 0, r.risk_reserve or 0
      local sum = fen(a + b + c)
      if sum ~= fen(r.fee) then
        ok = false
        d:verdict("hold", string.format(SAY.fee_parts, n(a), n(b), n(c), n(sum), n(r.fee)))
      end
    end
    if ok then d:verdict("pass") end
  end,
}

policy {
  name   = "outsourcing_staffing",
  type   = "outsourcing_client",
  doc    = "1 dedicated staff per 800 dispatched workers, 1 business manager per 4 staff (document 003, §8.2).",
  fields = { workers = integer { min = 0 } },
  decide = function(r, d)
    local staff = (r.workers + WORKERS_PER_STAFF - 1) // WORKERS_PER_STAFF
    local managers = (staff + STAFF_PER_MANAGER - 1) // STAFF_PER_MANAGER
    d:set("staff_needed", staff)
    d:set("managers_needed", managers, string.format(SAY.staffing, n(r.workers), staff, managers))
  end,
}

policy {
  name   = "fee_advance",
  type   = "fee_advance",
  doc    = "A sales representative's cash advance is at most 3,000 yuan (document 000, §8.3).",
  fields = { amount = number { min = 0 } },
  decide = function(r, d)
    if r.amount > ADVANCE_LIMIT then
      d:verdict("reject", string.format(SAY.advance, n(r.amount), "is over"))
    else
      d:verdict("pass", string.format(SAY.advance, n(r.amount), "is within"))
    end
  end,
}

policy {
  name   = "relationship_fee",
  type   = "relationship_fee",
  doc    = "客情费: three signatures, and paid after the net sale and the payment (document 000, §8.4, §7.11).",
  fields = { fee = number { min = 0 }, signed = "table", net_sale = "boolean?",
             collected_rate = optional(number { min = 0, max = 1 }) },
  decide = function(r, d)
    local have = {}
    for _, who in ipairs(r.signed) do have[who] = true end
    local void = false
    for _, who in ipairs(SIGNERS) do
      if not have[who] then
        void = true
        d:verdict("reject", string.format(SAY.unsigned, who))
      end
    end
    if void then d:set("payable", 0) return end
    local rate = r.collected_rate or 0
    if not r.net_sale then
      d:set("payable", 0, string.format(SAY.not_yet, "the sale is not net"))
    elseif BY_COLLECTION_RATE then
      d:set("payable", fen(r.fee * rate), string.format(SAY.payable, n(fen(r.fee * rate)),
        "fee × collected_rate " .. n(rate) .. " (根据客户回款率来决定客情费兑现率)"))
    elseif rate < 1 then
      d:set("payable", 0, string.format(SAY.not_yet, "collected_rate " .. n(rate) .. " < 1"))
    else
      d:set("payable", r.fee, string.format(SAY.payable, n(r.fee), "net sale, fully collected"))
    end
  end,
}

policy {
  name   = "energy_share",
  type   = "property_unit",
  doc    = "The public-energy share: 0.3 yuan per m² per month (document 004, §8.8).",
  fields = { area = number { min = 0 } },
  decide = function(r, d)
    local fee = fen(r.area * ENERGY_PER_M2)
    d:set("energy_fee", fee, string.format(SAY.energy, n(r.area), n(fee)))
  end,
}
