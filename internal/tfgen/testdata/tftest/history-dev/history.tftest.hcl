# terraform test of the history root of dev (no provider at all): its state keeps history.json as cws wrote
# it, and gives it back as the output history.

run "deploy" {
  assert {
    condition     = output.history == file("history.json") && jsondecode(output.history) == []
    error_message = "the state holds the stage's history (empty before a first deploy)"
  }
}

# Nothing changed: the plan is empty (the Go test reads it: "No changes.").
run "unchanged" {
  command = plan
}

# The history cws appended to: the state keeps every entry, oldest first.
run "appended" {
  module {
    source = "../history-master-promoted"
  }

  assert {
    condition     = length(jsondecode(output.history)) == 1 && jsondecode(output.history)[0].artifact_sha256 == "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=" && jsondecode(output.history)[0].function_version == "1"
    error_message = "the state keeps the entries cws wrote"
  }
}
