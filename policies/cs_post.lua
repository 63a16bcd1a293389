-- cs_post.lua — the requirements of the customer-service posts (document 001, job descriptions; rules.md §4.8).
--
--   客户服务经理…本科以上学历…6年以上客户服务管理经验 → manager: a bachelor's degree or above and 6 years or more
--   客户服务主管…本科以上学历…4年以上客户服务管理经验 → supervisor: a bachelor's degree or above and 4 years or more
--   信息、售后、投诉、客户关系、大客户专员…本科以上学历 → specialist: a bachelor's degree or above
-- Readings: 以上 includes the figure (民法典 第一千二百五十九条): a bachelor's degree and exactly 6 years meet it.
-- Years are of customer-service management experience (cs_years). An applicant who falls short is rejected
-- for the post, with every shortfall as a reason: these are the posting's own requirements, not a norm.
local fmt = require "fmt"

local DEGREES = { "below_bachelor", "bachelor", "master", "doctor" } -- in rank order
local RANK = {}
for i, v in ipairs(DEGREES) do RANK[v] = i end
local POSTS = {
  manager    = { degree = "bachelor", years = 6, name = "customer-service manager (客户服务经理)" },
  supervisor = { degree = "bachelor", years = 4, name = "customer-service supervisor (客户服务主管)" },
  specialist = { degree = "bachelor", years = 0, name = "customer-service specialist (专员)" },
}

-- Every sentence of this policy, in one place.
local SAY = {
  degree_no = "%s needs a bachelor's degree or above (本科以上学历), got %s",
  years_no  = "%s needs %d years of customer-service management or more (%d年以上客户服务管理经验), got %s",
  meets     = "meets the requirements of a %s",
}

policy {
  name   = "cs_post_requirements",
  type   = "cs_applicant",
  doc    = "Degree and experience for the customer-service posts (document 001, §4.8).",
  fields = {
    post = enum { "manager", "supervisor", "specialist" },
    education = enum { "below_bachelor", "bachelor", "master", "doctor" },
    cs_years = optional(number { min = 0 }),
  },
  decide = function(r, d)
    local p = POSTS[r.post]
    local ok = true
    if RANK[r.education] < RANK[p.degree] then
      ok = false
      d:verdict("reject", string.format(SAY.degree_no, p.name, r.education))
    end
    local years = r.cs_years or 0
    if years < p.years then
      ok = false
      d:verdict("reject", string.format(SAY.years_no, p.name, p.years, p.years, fmt.number(years)))
    end
    if ok then d:verdict("pass", string.format(SAY.meets, p.name)) end
  end,
}
