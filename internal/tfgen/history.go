package tfgen

import (
	"fmt"

	"github.com/hashicorp/hcl/v2/hclwrite"
)

// HistoryName is the file of a history root holding the stage's history (JSON), which the root keeps in its
// state through terraform_data.history and gives back as the output "history".
const HistoryName = "history.json"

// emptyHistory is the history of a stage never deployed.
const emptyHistory = "[]\n"

// HistoryRootDir is the directory (relative to the output directory) of the history root of stage.
func HistoryRootDir(stage string) string { return "history-" + stage }

// historyRoot returns the files of the history root of in.Stage: one built-in terraform_data resource
// holding the entries of history.json in the root's state, next to the stage's own state (same backend, key
// {prefix}/history-{stage}.tfstate), so everyone sharing the stage reads the same history and it outlives
// the stage's resources when the stage is deleted. It needs no provider: reading and appending to it is
// quick and needs no AWS credentials beyond the backend's.
func historyRoot(in Input) map[string][]byte {
	dir := HistoryRootDir(in.Stage)
	f := hclwrite.NewEmptyFile()
	b := f.Body()
	header(b, fmt.Sprintf("History root of %s, stage %s (cws history): the entries of %s, kept in this root's state.", in.AppName, in.Stage, HistoryName),
		"cws rewrites "+HistoryName+" from the state before each change and appends to it after; a plain terraform apply keeps it.")
	tf := b.AppendNewBlock("terraform", nil).Body()
	tf.SetAttributeValue("required_version", str(RequiredVersion))
	if in.Backend.Type != "" {
		backend(tf, in, dir)
	}
	b.AppendNewline()
	r := b.AppendNewBlock("resource", []string{"terraform_data", "history"}).Body()
	r.SetAttributeRaw("input", call("file", tmpl(ref("path.module"), "/"+HistoryName)))
	b.AppendNewline()
	output(b, "history", "The stage's history, as JSON: deploys, promotes, rollbacks and deletes, oldest first.", ref("terraform_data.history.output"))
	history := in.History
	if len(history) == 0 {
		history = []byte(emptyHistory)
	}
	return map[string][]byte{dir + "/main.tf": formatted(f), dir + "/" + HistoryName: history}
}
