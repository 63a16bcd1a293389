-- contract_submission.lua — penalty points for incomplete client contracts (document 002, rules.md §3.1).
--
-- 第一次提交按照"每份不合格合同月度考核扣除1分"; 第二次提交 … 扣除2分; 第三次提交 … 扣除4分;
-- 超过三次的,客服部须报公司总经理,由公司总经理直接拟定处罚方案.
-- Points go to the adviser in the month of the submission (field `month`, "YYYY-MM"; default: now).
-- Beyond round 3 the document gives no formula: no points, an escalation event to the general manager.
local POINTS_PER_DEFECT = { [1] = -1, [2] = -2, [3] = -4 } -- by submission round

policy {
  name = "contract_submission",
  type = "contract_submission",
  fields = { adviser = "string", round = "integer", defective = "integer", month = "string?" },
  decide = function(r, d)
    local round, defective = r.round, r.defective
    if round < 1 or defective < 0 then
      d:verdict("reject", string.format("round must be 1 or more and defective 0 or more, got round %d, defective %d",
        round, defective))
      return
    end
    if defective == 0 then
      d:verdict("pass", string.format("round %d: every contract complete, no points", round))
      return
    end
    local per = POINTS_PER_DEFECT[round]
    if per then
      d:points(r.adviser, per * defective,
        string.format("round %d: %d defective contract%s × %d point%s", round, defective, defective == 1 and "" or "s",
          per, per == -1 and "" or "s"), r.month)
      d:verdict("hold", "contracts to complete and resubmit")
    else
      d:emit("escalation", { to = "general_manager", adviser = r.adviser, round = round, defective = defective })
      d:verdict("hold", string.format(
        "round %d is beyond the third: the general manager sets the penalty (超过三次的,由公司总经理直接拟定处罚方案)", round))
    end
  end,
}
