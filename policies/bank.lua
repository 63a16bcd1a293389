-- bank.lua — the bank's personal VIP clients and client-manager grades (document 002, rules.md §2.3, §2.4).
--
-- §2.3 bank_vip (type bank_client):
--   分值达到30分及以上的客户即可为银行个人贵宾客户: score 30 and above (及以上: 30 included) is a personal VIP;
--   VIP客户评级量化标准由总行统一制定: the score is head office's, taken as recorded;
--   银行VIP卡分为金卡、白金卡和钻石卡三种…对应关… : the score → card table is cut off in the document, so the
--   policy derives no card; the card staff apply for (card) is checked, not chosen:
--   在征得客户同意的前提下为其申请对应的VIP卡: only for a VIP, and only with the client's consent (客户自愿).
-- §2.4 client_manager_grade (type client_manager):
--   高级客户经理5等…见习客户经理9等: the grade gives the staff grade (行员等级), GRADES below;
--   见习客户经理见习期为一年: a trainee's year ends one calendar year after trainee_since (民法典 第二百零一条:
--   the day it starts is not counted, so the end of that day a year on); deadline "trainee_year" then;
--   不享受客户经理相关待遇: back-office staff placed in marketing units (back_office) hold no client-manager grade.
--   按年聘用,按季考核,能上能下 and the minimum business indicators per grade (no figures: truncated) are
--   left to the people who appraise; docs/coverage.md.
local fmt = require "fmt"

local VIP_SCORE = 30             -- 分值达到30分及以上 (30 included)

local GRADES = {                 -- 客户经理等级 → 行员等级
  senior  = 5,                   -- 高级客户经理5等
  first   = 6,                   -- 一级客户经理6等
  second  = 7,                   -- 二级客户经理7等
  third   = 8,                   -- 三级客户经理8等
  fourth  = 9,                   -- 四级客户经理9等
  trainee = 9,                   -- 见习客户经理9等
}
local TRAINEE_PERIOD = "1 year"  -- 见习期为一年

-- Every sentence of this file, in one place.
local SAY = {
  vip          = "score %s >= %d: a personal VIP (分值达到30分及以上)",
  not_vip      = "score %s < %d: not a personal VIP",
  card_not_vip = "a %s card is only for a personal VIP (分值达到30分及以上)",
  card_consent = "a %s card is applied for only with the client's consent (在征得客户同意的前提下): consent is %s",
  card_ok      = "a %s card with the client's consent",
  staff_grade  = "client manager %s: staff grade %d (行员等级)",
  back_office  = "back-office staff in a marketing unit hold no client-manager grade (不享受客户经理相关待遇)",
  trainee_ends = "trainee year ends %s (见习期为一年)",
}

policy {
  name   = "bank_vip",
  type   = "bank_client",
  doc    = "Bank personal VIP at a score of 30 and above; VIP cards only with consent (document 002, §2.3).",
  fields = { score = number { min = 0 }, card = optional(enum { "gold", "platinum", "diamond" }), consent = "boolean?" },
  decide = function(r, d)
    local vip = r.score >= VIP_SCORE
    d:set("vip", vip, string.format(vip and SAY.vip or SAY.not_vip, fmt.number(r.score), VIP_SCORE))
    local card = r.card
    if not card then return end
    if not vip then
      d:verdict("reject", string.format(SAY.card_not_vip, card))
    elseif r.consent ~= true then
      d:verdict("hold", string.format(SAY.card_consent, card, r.consent == false and "refused" or "not recorded"))
    else
      d:verdict("pass", string.format(SAY.card_ok, card))
    end
  end,
}

policy {
  name   = "client_manager_grade",
  type   = "client_manager",
  doc    = "Client-manager grade → staff grade; the trainee year (document 002, §2.4).",
  fields = {
    grade = optional(enum { "senior", "first", "second", "third", "fourth", "trainee" }),
    back_office = "boolean?", trainee_since = "date?",
  },
  decide = function(r, d)
    if r.back_office then
      d:set("staff_grade", nil, SAY.back_office)
      d:cancel("trainee_year")
      return
    end
    local grade = r.grade
    if not grade then return end
    d:set("staff_grade", GRADES[grade], string.format(SAY.staff_grade, grade, GRADES[grade]))
    if grade == "trainee" and r.trainee_since then
      local ends = calendar.end_of_day((calendar.add(r.trainee_since .. "T00:00", TRAINEE_PERIOD)))
      d:deadline("trainee_year", ends)
      d:because(string.format(SAY.trainee_ends, calendar.format(ends)))
    else
      d:cancel("trainee_year")
    end
  end,
  timers = {
    trainee_year = function(r, d, t) d:emit("trainee_review", { manager = r.id, since = r.trainee_since }) end,
  },
}
