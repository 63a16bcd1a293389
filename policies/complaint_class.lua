-- complaint_class.lua — the class of a client's complaint (document 003, with 000; rules.md §2.6).
--
--   可分为咨询、建议和投诉三种类型: content_type inquiry (咨询), suggestion (建议) or complaint (投诉); only a
--     complaint has a severity;
--   分为重大投诉、普通投诉和恶意投诉:
--     重大投诉是指客户要求终止服务合作…或客户投诉结果会对公司形象造成重大影响 → major;
--     恶意投诉是指客户反映情况不属实…利用网络、媒体等渠道恶意诋毁公司形象和工作人员名誉的投诉 → malicious;
--     普通投诉是指除重大投诉之外的其他有效的客户投诉 → ordinary, for a valid complaint only;
--   如果投诉不能成立,用婉转的方式答复客户 (000): a complaint judged not valid (valid = false) has no severity and
--     is answered tactfully.
-- Readings: the tests run in the order rules.md §2.6 gives, major → malicious → ordinary (first match wins).
-- A complaint both untrue and demanding termination is therefore major (the document does not settle it:
-- rules.md §2.6 AMBIGUOUS); the explanation says that it was also reported untrue, so a person can see it.
-- A complaint whose validity (成立) is not judged yet gets no severity and is held until it is.
-- The record type is complaint_case, apart from the deadline policy's complaint: a company that wants the
-- class on the same record changes `type` below to "complaint".
local dtable = require "dtable"

local SEVERITY = dtable.new {
  name = "complaint severity", hit = "first",
  inputs = { "demands_termination", "major_image_impact", "untrue", "defames_via_media", "valid" },
  rules = {
    { "major: termination demanded (客户要求终止服务合作)", out = "major", when = { demands_termination = true } },
    { "major: image (对公司形象造成重大影响)", out = "major", when = { major_image_impact = true } },
    { "malicious: untrue (反映情况不属实)", out = "malicious", when = { untrue = true } },
    { "malicious: defamation (利用网络、媒体等渠道恶意诋毁)", out = "malicious", when = { defames_via_media = true } },
    { "not valid (投诉不能成立)", out = "invalid", when = { valid = false } },
    { "ordinary (其他有效的客户投诉)", out = "ordinary", when = { valid = true } },
    { "validity not judged", out = "unjudged" },
  },
}

-- Every sentence of this policy, in one place.
local SAY = {
  not_complaint = "%s (%s) is not a complaint: no severity",
  also_untrue   = "also reported untrue: major is tested first (rules.md §2.6; the document does not settle it)",
  invalid       = "answer the client tactfully (用婉转的方式答复客户)",
  unjudged      = "held until validity (成立) is judged: valid true or false",
  kinds         = { inquiry = "咨询", suggestion = "建议" },
  scope         = "scope: %s (%s)",
  scopes        = { attitude = "服务态度", competence = "专业素质", efficiency = "服务效率", other = "其他" },
}

policy {
  name   = "complaint_class",
  type   = "complaint_case",
  doc    = "Complaint content type and severity: major, malicious, ordinary (document 003, §2.6).",
  fields = {
    content_type = enum { "inquiry", "suggestion", "complaint" },
    scope = optional(enum { "attitude", "competence", "efficiency", "other" }), -- 服务态度/专业素质/服务效率/其他
    demands_termination = "boolean?", major_image_impact = "boolean?", untrue = "boolean?",
    defames_via_media = "boolean?", valid = "boolean?",
  },
  decide = function(r, d)
    local kind = r.content_type
    if kind ~= "complaint" then
      d:set("severity", nil, string.format(SAY.not_complaint, kind, SAY.kinds[kind]))
      return
    end
    if r.scope then d:because(string.format(SAY.scope, r.scope, SAY.scopes[r.scope])) end
    local severity, why = SEVERITY:eval(r)
    if severity == "major" and (r.untrue or r.defames_via_media) then why = why .. "; " .. SAY.also_untrue end
    if severity == "invalid" then
      d:set("severity", nil, why)
      d:because(SAY.invalid)
    elseif severity == "unjudged" then
      d:set("severity", nil)
      d:verdict("hold", SAY.unjudged)
    else
      d:set("severity", severity, why)
    end
  end,
}
