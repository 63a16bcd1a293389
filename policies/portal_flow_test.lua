-- portal_flow.lua: the three verifications, one account per mobile, activation, the starred fields, the
-- certificate step only for the sensitive functions, the stamp, and the approver's answer.
local workflow = require "workflow"
local merge = workflow.merge
local BASE = { id = "u1", mobile = "13800000001", email = "li@example.com", actor = "li" }
local STEPS = {
  { "created", { mobile_valid = true, code_valid = true, email_valid = true } },
  { "activated", { activated_at = "2026-10-12T10:00:00+08:00" } },
  { "info_filled", { name = "Li", organisation = "Bank", id_number = "X1" } },
  { "functions_chosen", { functions = { "queries" } } },
  { "stamped", { stamped_form = "scan.pdf" } },
  { "approved", { actor_role = "portal_approver" } },
}
local step, walk = workflow.walker { type = "portal_account", base = BASE, steps = STEPS, put = put, get = get }

test("a plain request, from the account to the approval", function()
  walk(#STEPS)
  eq(get("portal_account", "u1").state, "approved")
end)

test("这三项均为有效: the mobile, the code and the email all verified", function()
  local d, r = step("created", { mobile_valid = true, code_valid = false, email_valid = true })
  eq(d.verdict, "hold")
  eq(d.explanation, "portal account u1: (new) → created waits for field 'code_valid' (the SMS code verified, true); " ..
    "nothing is stored as its state")
  eq(r.state, nil)
end)

test("a mobile registered already is refused, pointing to the password reset (忘记密码)", function()
  walk(1)
  local d = step("created", merge(STEPS[1][2], { id = "u2" }))
  eq(d.verdict, "reject")
  contains(d.explanation, "mobile 13800000001 is registered already (account u1): reset its password (忘记密码)")
  eq(step("created", merge(STEPS[1][2], { id = "u3", mobile = "13800000002" })).verdict, "pass")
end)

test("the account is activated from the email before its information is filled", function()
  walk(1)
  local d = step("info_filled", STEPS[3][2])
  contains(d.explanation, "created → info_filled is not allowed; from created: activated (by anyone)")
  walk(2)
  d = step("info_filled", { name = "Li", organisation = "Bank" })
  contains(d.explanation, "waits for field 'id_number' (a starred (*) field of 账户信息)")
end)

test("choosing no function holds", function()
  local have = walk(3)
  local d = step("functions_chosen", merge(have, { functions = {} }))
  eq(d.verdict, "hold")
  contains(d.explanation, "functions names no platform or permission")
end)

test("a sensitive function adds the certificate step; without one there is none", function()
  local have = walk(3)
  step("functions_chosen", merge(have, { functions = { "queries", "funds" } }))
  have = merge(have, { functions = { "queries", "funds" } })
  local d = step("stamped", merge(have, { stamped_form = "s" }))
  eq(d.explanation, "portal account u1: functions_chosen → stamped is not allowed; from functions_chosen: " ..
    "certificate (by anyone); state stays functions_chosen")
  d = step("certificate", have)
  contains(d.explanation, "waits for field 'certificate_delivery' (download or mail (自行下载或者邮寄))")
  eq(step("certificate", merge(have, { certificate_delivery = "mail" })).verdict, "pass")
  eq(step("stamped", merge(have, { certificate_delivery = "mail", stamped_form = "s" })).verdict, "pass")
  -- every sensitive function of the list
  for i, f in ipairs { "disputes", "merchant_registration", "risk_management", "acquiring", "risk_compensation" } do
    local h = walk(3, { id = "s" .. i, mobile = "1390000000" .. i })
    step("functions_chosen", merge(h, { functions = { f } }))
    eq(step("certificate", merge(h, { functions = { f }, certificate_delivery = "download" })).verdict, "pass", f)
  end
  -- a plain function has no certificate step
  walk(4, { id = "p1", mobile = "13700000000" })
  d = step("certificate", merge(STEPS[4][2], { id = "p1", mobile = "13700000000", certificate_delivery = "mail" }))
  contains(d.explanation, "from functions_chosen: stamped (by anyone)")
end)

test("the approver answers; a rejection gives its reason", function()
  local have = walk(5)
  local d = step("approved", have)
  contains(d.explanation, "stamped → approved may be made by portal_approver, not by li")
  d = step("rejected", merge(have, { actor_role = "portal_approver" }))
  contains(d.explanation, "waits for field 'rejection_reason' (why)")
  local _, r = step("rejected", merge(have, { actor_role = "portal_approver", rejection_reason = "unstamped page 2" }))
  eq(r.state, "rejected")
end)

test("the certificate is downloaded or mailed, nothing else", function()
  fails(function() eval("portal_account", merge(BASE, { state = "certificate", certificate_delivery = "fax" })) end,
    [[field 'certificate_delivery' must be one of "download" or "mail", got "fax"]])
end)
