package tfgen

import (
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// HistoryName is the file of a stage root holding the stage's history (JSON), which the root keeps in its
// state through terraform_data.history and gives back as the output "history".
const HistoryName = "history.json"

// HistoryAddress is the resource holding the stage's history in the stage root's state.
const HistoryAddress = "terraform_data.history"

// emptyHistory is the history of a stage never deployed.
const emptyHistory = "[]\n"

// historyFiles returns history.tf and history.json of a stage root: the history lives in the stage's state
// (its backend), so everyone sharing the state reads the same one, and it outlives the stage's resources
// when the stage is deleted (the delete leaves the root holding the history alone).
func historyFiles(in Input) map[string][]byte {
	f := hclwrite.NewEmptyFile()
	b := f.Body()
	header(b, "The history of stage "+in.Stage+" (cws history): the entries of "+HistoryName+", kept in this root's state.",
		"cws rewrites "+HistoryName+" from the state before each change and appends to it after; a plain terraform apply keeps it.")
	r := b.AppendNewBlock("resource", []string{"terraform_data", "history"}).Body()
	r.SetAttributeRaw("input", call("file", tmpl(ref("path.module"), "/"+HistoryName)))
	b.AppendNewline()
	output(b, "history", "The stage's history, as JSON: deploys, promotes, rollbacks and deletes, oldest first.", ref("terraform_data.history.output"))
	history := in.History
	if len(history) == 0 {
		history = []byte(emptyHistory)
	}
	return map[string][]byte{"history.tf": formatted(f), HistoryName: history}
}

// HistoryRoot returns the files of a stage root that holds only the stage's settings and history: what the
// root becomes when the stage is deleted (applying it destroys everything else the state holds).
func HistoryRoot(in Input) map[string][]byte {
	main := hclwrite.NewEmptyFile()
	header(main.Body(), "Stage root of "+in.AppName+", stage "+in.Stage+": deleted; only its settings and history are left.")
	settings(main.Body(), in, StageRootDir(in.Stage))
	files := map[string][]byte{StageRootDir(in.Stage) + "/main.tf": formatted(main)}
	for name, data := range historyFiles(in) {
		files[StageRootDir(in.Stage)+"/"+name] = data
	}
	return files
}
