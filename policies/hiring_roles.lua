-- hiring_roles.lua — who interviews a candidate and who signs the hire, by the post's class (documents 004
-- and 000; rules.md §2.9, §7.25).
--
--   一线人员由人力资源部经理进行面试 (004): front-line staff are interviewed by the HR manager;
--   财务人员、企划人员等各类专业人员的面试由相应部门经理进行面试 (004): professional staff (finance, planning,
--     technical) by the manager of their department, who screens them first;
--   other posts: the HR manager does the first interview (004);
--   一般一线人选由人事行政部经理签字批准 (000): an ordinary front-line hire is signed by the HR & admin manager;
--   一线管理及后线职员及以上级别人选由总经理签字批准 (000): front-line managers, back-office staff and everyone above
--     are signed by the general manager.
-- post_class: frontline (一线人员), frontline_manager (一线管理), back_office (后线职员), professional (专业人员),
-- senior (above them). Readings: a professional is back-office staff (后线) for the signature; a front-line
-- manager is interviewed as other posts are, by the HR manager first.
local dtable = require "dtable"

local ROLES = dtable.new {
  name = "interviewer and signer", hit = "first",
  inputs = { "post_class" },
  rules = {
    { "front-line staff", when = { post_class = "== frontline" },
      out = { interviewer = "hr_manager", signer = "hr_admin_manager" } },
    { "professional", when = { post_class = "== professional" },
      out = { interviewer = "department_manager", signer = "general_manager" } },
    { "front-line manager, back office and above", when = { post_class = { "frontline_manager", "back_office", "senior" } },
      out = { interviewer = "hr_manager", signer = "general_manager" } },
  },
}

-- Every sentence of this policy, in one place.
local SAY = { roles = "interviewed by %s, signed by %s: %s" }

policy {
  name   = "hiring_roles",
  type   = "hire",
  doc    = "Who interviews and who signs a hire, by the post's class (documents 004, 000, §2.9).",
  fields = { post_class = enum { "frontline", "frontline_manager", "back_office", "professional", "senior" } },
  decide = function(r, d)
    local roles, why = ROLES:eval(r)
    d:set("interviewer", roles.interviewer)
    d:set("signer", roles.signer, string.format(SAY.roles, roles.interviewer, roles.signer, why))
  end,
}
