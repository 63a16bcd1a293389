-- gym.lua — the gym's forgotten membership cards (document 004, 健身房前台; rules.md §3.17).
--
--   如果超过四次不带会员卡将不能入内训练: a member who comes without the card more than four times is refused.
--   forgotten is the count of visits without the card, this one included; 超过四次 excludes four, so the 1st to
--   4th forgotten visits are let in (looked up by name and number) and the 5th and later refused.
--   The document does not say whether the count ever resets: it is the count the desk records.
local MAX_FORGOTTEN = 4 -- 超过四次…将不能入内

-- Every sentence of this policy, in one place.
local SAY = {
  let_in  = "visit %d without the card: let in after a look-up (%d allowed)",
  refused = "visit %d without the card: more than %d, refused (超过四次不带会员卡将不能入内训练)",
}

policy {
  name   = "forgotten_card",
  type   = "gym_visit",
  doc    = "A fifth visit without the membership card is refused (document 004, §3.17).",
  fields = { forgotten = integer { min = 1 } },
  decide = function(r, d)
    if r.forgotten > MAX_FORGOTTEN then
      d:verdict("reject", string.format(SAY.refused, r.forgotten, MAX_FORGOTTEN))
    else
      d:verdict("pass", string.format(SAY.let_in, r.forgotten, MAX_FORGOTTEN))
    end
  end,
}
