-- flowdemo.lua — a small workflow for tests/scripts/workflow_test.lua: a request that a manager (or the
-- person named in `delegate`) approves with a signature, or refuses; approved requests are done by anyone.
local workflow = require "workflow"

local FLOW = workflow.new {
  name = "request", type = "request", field = "state", who = { person = "actor", role = "actor_role" },
  start = { "draft" },
  states = {
    draft = {},
    submitted = { deadline = { after = "2 days", escalate = "director" },
                  overdue = function(r, d, t) d:points(r.actor, -1, "request " .. r.id .. " late", "2026-10") end },
    approved = { deadline = { after = "10 days", from = "due_from" } },
    refused = {},
    done = {},
  },
  transitions = {
    { from = "draft", to = "submitted" },
    { to = "submitted" }, -- a start with no draft
    { from = "submitted", to = "approved", by = { "manager", person = "delegate" },
      requires = { { "signature", label = "the manager's signature" },
                   { "quote", label = "a quote", when = function(r) return (r.cost or 0) > 1000 end,
                     note = "cost over 1,000" } } },
    { from = "submitted", to = "refused", by = "manager",
      check = function(r) if not r.reason then return "a refusal gives its reason (field 'reason')" end end },
    { from = "approved", to = "done", when = function(r) return not r.blocked end },
  },
}

policy {
  name = "request_flow", type = "request", order = 10,
  fields = FLOW:fields { signature = "string?", quote = "string?", cost = "number?", delegate = "string?",
                         reason = "string?", blocked = "boolean?", due_from = "datetime?" },
  decide = function(r, d) FLOW:decide(r, d) end,
  timers = FLOW:timers(),
}
