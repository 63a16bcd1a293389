-- contract_submission.lua — penalty points for a financial adviser's defective contract packages
-- (document 002, 客户资料管理, rules.md §3.1–3.2).
--
-- 理财顾问提交的合同文件不合格的…具体标准如下:
--   (1)第一次提交按照"每份不合格合同月度考核扣除1分"的标准进行处罚;
--   (2)第二次提交按照"每份不合格合同月度考核扣除2分"的标准进行处罚;
--   (3)第三次提交按照"每份不合格合同月度考核扣除4分"的标准进行处罚;
--   (4)超过三次的,客服部须报公司总经理,由公司总经理直接拟定处罚方案。
-- A record is one submission: adviser, round (1, 2, 3, …), defective (不合格合同, a count), and optionally
-- month ("YYYY-MM", the appraisal month the points count in; default: the month of now).
--
-- Readings:
-- - the deduction is per defective contract in that round (每份), so 0 defective is no points: the package
--   is complete (pass); any defective contract returns it to the adviser to complete (hold);
-- - beyond round 3 the document gives no figure: no points, an "escalation" event to the general manager
--   (总经理) who sets the penalty, and only when that round still has defective contracts (there is
--   nothing to penalise in a complete package);
-- - 被视为"一次客户资料到期提交失败"…按照第二十三条规定的处罚标准执行,以此累计 (rules.md §3.2): a late
--   submission or completion is recorded as a round of its own, with defective = the contracts not in
--   order (article 23 is not in the excerpt; we read it as the scale above).
local POINTS_PER_DEFECTIVE = { -- by submission round: 每份不合格合同月度考核扣除…分
  [1] = -1,                    -- 第一次提交: 扣除1分
  [2] = -2,                    -- 第二次提交: 扣除2分
  [3] = -4,                    -- 第三次提交: 扣除4分
}
local ESCALATE_TO = "general_manager" -- 超过三次的,客服部须报公司总经理

policy {
  name   = "contract_submission",
  type   = "contract_submission",
  fields = { adviser = "string", round = integer { min = 1 }, defective = integer { min = 0 }, month = "month?" },
  decide = function(r, d)
    local round, defective = r.round, r.defective
    if defective == 0 then
      d:verdict("pass", string.format("round %d: no defective contract, no points", round))
      return
    end
    local contracts = defective == 1 and "1 defective contract" or (defective .. " defective contracts")
    local per = POINTS_PER_DEFECTIVE[round]
    if per then
      d:points(r.adviser, per * defective, string.format("round %d: %s × %d = %d points (每份不合格合同月度考核扣除%d分)",
        round, contracts, per, per * defective, -per), r.month)
      d:verdict("hold", "returned to " .. r.adviser .. " to complete and resubmit")
    else
      d:emit("escalation", { to = ESCALATE_TO, adviser = r.adviser, round = round, defective = defective,
                             month = r.month })
      d:verdict("hold", string.format("round %d, beyond the third, with %s: no points; reported to the general " ..
        "manager, who sets the penalty (超过三次的,由公司总经理直接拟定处罚方案)", round, contracts))
    end
  end,
}
