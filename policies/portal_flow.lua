-- portal_flow.lua — UnionPay portal registration and permission request as a workflow (document 004
-- 银联新用户注册及权限维护流程, rules.md §6.5 and §7.18; scripts/workflow.lua). Type portal_account.
--
-- 3)创建账户 按照界面所示,输入手机号、手机上收到的验证码和邮箱 若手机号被注册过,可通过点击"忘记密码"对密码进行
-- 重置…待这三项均为有效之后,可以点击下一步 …请至邮箱激活验证链接… 4)填写账户信息 …其中"*"为必填项 5)系统功能申请
-- …可自主选择需要的平台及权限 若有勾选差错、手工及争议业务、商户注册管理、风险管理、收单服务、资金服务、风险补偿
-- 业务等需要使用数字证书登陆处理业务,会多增加下面一个界面 可以选择自行下载或者邮寄证书的方式 6)盖章验证 打印申请表
-- 并盖章上传即可 7)审批跟踪
--
-- created → activated → info_filled → functions_chosen → (certificate →) stamped → approved | rejected.
-- Readings:
-- - 这三项均为有效: mobile_valid, code_valid and email_valid all true before the account exists; a mobile
--   another account holds is refused, pointing to 忘记密码 (the password reset), not a second account.
-- - "*"为必填项: the starred fields are not listed in the text: INFO_REQUIRED below is our list, data.
-- - The certificate step exists only when a function of SENSITIVE is chosen (with how it is delivered:
--   download or mail); otherwise functions_chosen goes straight to stamped.
-- - 审批跟踪: who approves and why one is rejected are not described: the role portal_approver, and a
--   rejection must give its reason (rejection_reason) so that the applicant can act on it.
local workflow = require "workflow"

local SENSITIVE = {                                   -- 需要使用数字证书登陆处理业务
  disputes = "差错、手工及争议业务", merchant_registration = "商户注册管理", risk_management = "风险管理",
  acquiring = "收单服务", funds = "资金服务", risk_compensation = "风险补偿业务",
}
local INFO_REQUIRED = { "name", "organisation", "id_number" }   -- "*"为必填项 (our list)
local APPROVER = "portal_approver"

local function sensitive(r)
  for _, f in ipairs(r.functions or {}) do
    if SENSITIVE[f] then return true end
  end
  return false
end

local function new_mobile(r)
  for _, other in ipairs(records.find("portal_account", { mobile = r.mobile }, 2)) do
    if other.id ~= r.id then
      return "mobile " .. r.mobile .. " is registered already (account " .. other.id ..
        "): reset its password (忘记密码) instead of registering again"
    end
  end
end

local function chosen(r)
  if #(r.functions or {}) == 0 then return "functions names no platform or permission", "hold" end
end

local info = {}
for i, f in ipairs(INFO_REQUIRED) do info[i] = { f, label = "a starred (*) field of 账户信息" } end

local FLOW = workflow.new {
  name = "portal account", type = "portal_account", field = "state", who = { person = "actor", role = "actor_role" },
  states = { created = {}, activated = {}, info_filled = {}, functions_chosen = {}, certificate = {}, stamped = {},
             approved = {}, rejected = {} },
  transitions = {
    { to = "created", check = new_mobile, requires = {
      { "mobile_valid", label = "the mobile verified, true" }, { "code_valid", label = "the SMS code verified, true" },
      { "email_valid", label = "the email verified, true" } } },
    { from = "created", to = "activated", requires = { { "activated_at", label = "when the email link was followed" } } },
    { from = "activated", to = "info_filled", requires = info },
    { from = "info_filled", to = "functions_chosen", check = chosen },
    { from = "functions_chosen", to = "certificate", when = sensitive,
      requires = { { "certificate_delivery", label = "download or mail (自行下载或者邮寄)" } } },
    { from = "functions_chosen", to = "stamped", when = function(r) return not sensitive(r) end,
      requires = { { "stamped_form", label = "the stamped application form, uploaded (盖章上传)" } } },
    { from = "certificate", to = "stamped",
      requires = { { "stamped_form", label = "the stamped application form, uploaded (盖章上传)" } } },
    { from = "stamped", to = "approved", by = APPROVER },
    { from = "stamped", to = "rejected", by = APPROVER, requires = { { "rejection_reason", label = "why" } } },
  },
}

local FIELDS = {
  mobile = "string", mobile_valid = "boolean?", code_valid = "boolean?", email_valid = "boolean?",
  activated_at = "datetime?", name = "string?", organisation = "string?", id_number = "string?", functions = "table?",
  certificate_delivery = optional(enum { "download", "mail" }), stamped_form = "string?", rejection_reason = "string?",
}

policy(FLOW:policy {
  name = "portal_flow",
  doc = "UnionPay portal registration (document 004, §6.5): verified, activated, functions, certificate, stamp, approval.",
  fields = FIELDS,
  decide = function(r, d) FLOW:decide(r, d) end,
})
