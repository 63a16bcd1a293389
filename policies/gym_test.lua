-- gym_test.lua — gym.lua at 1, 4 (let in), 5 and 6 (refused: 超过四次).
local function visit(n) return eval("gym_visit", { id = "g1", forgotten = n }).decisions[1] end

test("up to the fourth visit without the card: let in", function()
  eq(visit(1).verdict, "pass")
  local d = visit(4)
  eq(d.verdict, "pass")
  eq(d.explanation, "visit 4 without the card: let in after a look-up (4 allowed)")
end)

test("the fifth visit without the card is refused (超过四次不带会员卡将不能入内训练)", function()
  local d = visit(5)
  eq(d.verdict, "reject")
  eq(d.explanation, "visit 5 without the card: more than 4, refused (超过四次不带会员卡将不能入内训练)")
  eq(visit(6).verdict, "reject")
  fails(function() visit(0) end, "field 'forgotten' must be an integer of at least 1, got 0")
end)
