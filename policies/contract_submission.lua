-- contract_submission.lua — penalty points for a financial adviser's defective contract packages
-- (document 002, 客户资料管理, rules.md §3.1–3.2).
--
-- 理财顾问提交的合同文件不合格的…具体标准如下:
--   (1)第一次提交按照"每份不合格合同月度考核扣除1分"的标准进行处罚;
--   (2)第二次提交按照"每份不合格合同月度考核扣除2分"的标准进行处罚;
--   (3)第三次提交按照"每份不合格合同月度考核扣除4分"的标准进行处罚;
--   (4)超过三次的,客服部须报公司总经理,由公司总经理直接拟定处罚方案。
-- 没有按时提交或者没有按时补齐…视为一次“客户资料到期提交失败”…按照第二十三条规定的处罚标准执行,以此累计 (§3.2).
-- A record is one submission: adviser, round (1, 2, 3, …), defective (不合格合同, a count), late (submitted or
-- completed after its deadline), and optionally month ("YYYY-MM", the appraisal month the points count in;
-- default: the month of now).
--
-- Readings:
-- - the deduction is per defective contract in that round (每份), so 0 defective is no points: the package
--   is complete (pass); any defective contract returns it to the adviser to complete (hold);
-- - a late submission or completion (late = true) is a failed round of its own (视为一次…提交失败): article 23
--   is not in the excerpt, so we read it as the scale above, the late package counting as at least one
--   defective contract (a late, complete package costs the round's figure once; a late package with 2
--   defective contracts costs 2 × the figure: one failure, not two). Rounds count on (以此累计);
-- - beyond round 3 the document gives no figure: the general manager (总经理) sets the penalty, so the round
--   is held for that decision (event "decision_needed", scripts/override.lua), only when the round has
--   something to penalise. The decision is recorded in decided_by, decision, decision_reason and
--   decided_points (the penalty the general manager set, 0 or less), and is then the round's verdict and
--   points, explained.
local override = require "override"

local POINTS_PER_DEFECTIVE = { -- by submission round: 每份不合格合同月度考核扣除…分
  [1] = -1,                    -- 第一次提交: 扣除1分
  [2] = -2,                    -- 第二次提交: 扣除2分
  [3] = -4,                    -- 第三次提交: 扣除4分
}
local GM = override.by { role = "general_manager", who = "the general manager (总经理)" }

-- Every sentence of this policy, in one place.
local SAY = {
  complete  = "round %d: no defective contract, no points",
  late      = "round %d was late (没有按时提交或者没有按时补齐…视为一次提交失败): a failed round",
  points    = "round %d: %s × %d = %d points (每份不合格合同月度考核扣除%d分)",
  returned  = "returned to %s to complete and resubmit",
  late_complete = "the package is complete: archived",
  beyond    = "round %d, beyond the third, with %s: no figure in the document (超过三次的,由公司总经理直接拟定处罚方案)",
  decided   = "the general manager's penalty: %d points (decided_points)",
  contracts = { [1] = "1 defective contract", other = "%d defective contracts" },
}

local function contracts(n)
  return n == 1 and SAY.contracts[1] or string.format(SAY.contracts.other, n)
end

policy {
  name   = "contract_submission",
  type   = "contract_submission",
  fields = override.fields {
    adviser = "string", round = integer { min = 1 }, defective = integer { min = 0 }, month = "month?",
    late = "boolean?", decided_points = optional(integer { max = 0 }),
  },
  decide = function(r, d)
    local round, defective = r.round, r.defective
    if r.late then
      d:because(string.format(SAY.late, round))
      if defective == 0 then defective = 1 end
    end
    if defective == 0 then
      d:verdict("pass", string.format(SAY.complete, round))
      return
    end
    local per = POINTS_PER_DEFECTIVE[round]
    if per then
      d:points(r.adviser, per * defective,
        string.format(SAY.points, round, contracts(defective), per, per * defective, -per), r.month)
      if r.defective > 0 then
        d:verdict("hold", string.format(SAY.returned, r.adviser))
      else
        d:verdict("pass", SAY.late_complete)
      end
      return
    end
    local why = { string.format(SAY.beyond, round, contracts(defective)) }
    if GM:ask(d, why, r.decided_by, r.decision, r.decision_reason) and r.decided_points then
      d:points(r.adviser, r.decided_points, string.format(SAY.decided, r.decided_points), r.month)
    end
  end,
}
