-- override.lua — where a rule needs a person (「由总经理拟定」), the policy holds naming who must decide,
-- and the record fields decided_by, decision and decision_reason let that person's decision through as a
-- recorded, explained decision (docs/policies.md, "When a person decides").
--
--   local override = require "override"
--   local GM = override.by { role = "general_manager", who = "the general manager (总经理)" }
--   policy { fields = override.fields { ... the policy's own fields ... }, decide = function(r, d)
--     ...
--     local why = { "fewer than 3 employers in the whole career (一般应不少于3个)" }
--     if GM:ask(d, why, r.decided_by, r.decision, r.decision_reason) then return end
--
--   GM:ask(d, reasons, decided_by, decision, decision_reason) → true when the recorded decision settles the
--     reasons (the policy reads the three fields itself, so that bylaw check sees them read): the verdict is decision,
--     explained "decided by li (the general manager (总经理)): reject — <decision_reason>; in place of: <reasons>";
--   → false when no complete decision is recorded: a hold per reason naming who decides, and one event
--     "decision_needed" { to = role, reasons = reasons }. A decision that lacks decided_by or
--     decision_reason is not taken: the hold says which field is missing.
--   With no reasons, nothing waits for a person: a recorded decision is noted and changes nothing.
local concat, format = table.concat, string.format

local override = {}

-- Every sentence this helper writes, in one place.
local SAY = {
  decided  = "decided by %s (%s): %s — %s; in place of: %s",
  waiting  = "%s: %s decides (record decided_by, decision and decision_reason)",
  missing  = "the recorded decision %q is not taken: %s is missing (%s)",
  unneeded = "decision %q by %s recorded, but nothing here waits for a person: it changes nothing",
}
local MISSING = { decided_by = "who decided", decision_reason = "why" }

local FIELDS = {
  decided_by      = "string?",
  decision        = optional(enum { "pass", "hold", "reject" }),
  decision_reason = optional(string { min = 1, max = 500 }),
}

-- The policy's fields with the three fields of a decision added.
function override.fields(own)
  local t = {}
  for k, v in pairs(own or {}) do t[k] = v end
  for k, v in pairs(FIELDS) do t[k] = v end
  return t
end

local Decider = {}
Decider.__index = Decider

function override.by(spec)
  if type(spec) ~= "table" or type(spec.role) ~= "string" or type(spec.who) ~= "string" then
    error("bad argument #1 to 'by' (expected { role = \"general_manager\", who = \"the general manager (总经理)\" })", 2)
  end
  return setmetatable({ role = spec.role, who = spec.who }, Decider)
end

function Decider:ask(d, reasons, decided_by, decision, decision_reason)
  if #reasons == 0 then
    if decision then d:because(format(SAY.unneeded, decision, decided_by or "nobody named")) end
    return false
  end
  if decision then
    local lacks = (decided_by == nil and "decided_by") or (decision_reason == nil and "decision_reason")
    if not lacks then
      d:verdict(decision, format(SAY.decided, decided_by, self.who, decision, decision_reason,
        concat(reasons, "; ")))
      return true
    end
    d:verdict("hold", format(SAY.missing, decision, lacks, MISSING[lacks]))
  end
  for i = 1, #reasons do d:verdict("hold", format(SAY.waiting, reasons[i], self.who)) end
  d:emit("decision_needed", { to = self.role, reasons = reasons })
  return false
end

return override
