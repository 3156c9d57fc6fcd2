package deployed

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// readLegacy returns the stages of the legacy .chalice/deployed.json in file order, or nil when the file
// does not exist.
func readLegacy(projectDir string) ([]fieldAt, error) {
	path := LegacyPath(projectDir)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read legacy deployment file: %w", err)
	}
	return objectFields(path, data, 0)
}

// loadLegacy converts the stage's entry of the pre-1.2 state file the way Chalice 1.33 does: every
// lambda_functions entry becomes a lambda_function (name without the "{app}-{stage}-" prefix; a 0.10
// file maps names to ARNs directly), then api_handler and rest_api (id only: the old file had no URL).
func loadLegacy(projectDir, stage, appName string) (*Record, error) {
	stages, err := readLegacy(projectDir)
	if err != nil {
		return nil, err
	}
	var entry *fieldAt
	for i := range stages {
		if stages[i].Key == stage {
			entry = &stages[i]
		}
	}
	if entry == nil {
		return Empty(), nil
	}
	path := LegacyPath(projectDir)
	data, _ := os.ReadFile(path)
	fields, err := objectFields(path, data[:entry.Off+len(entry.Value)], entry.Off)
	if err != nil {
		return nil, err
	}
	get := func(key string) *fieldAt {
		for i := range fields {
			if fields[i].Key == key {
				return &fields[i]
			}
		}
		return nil
	}
	rec := Empty()
	rec.Legacy = true
	prefix := []rune(appName + "-" + stage + "-")
	if lf := get("lambda_functions"); lf != nil {
		fns, err := objectFields(path, data[:lf.Off+len(lf.Value)], lf.Off)
		if err != nil {
			return nil, err
		}
		pre10 := false
		for _, f := range fns {
			if len(f.Value) == 0 || f.Value[0] != '{' {
				pre10 = true
			}
		}
		for _, f := range fns {
			arn := f.Value
			if !pre10 {
				var v struct {
					ARN json.RawMessage `json:"arn"`
				}
				if json.Unmarshal(f.Value, &v) != nil || v.ARN == nil {
					return nil, syntaxErr(path, data, f.Off, fmt.Sprintf("stage %q: lambda function %q has no \"arn\"", stage, f.Key))
				}
				arn = v.ARN
			}
			name := []rune(f.Key)
			short := ""
			if len(name) > len(prefix) {
				short = string(name[len(prefix):])
			}
			res := Resource{Name: short, Type: TypeLambdaFunction, Fields: []Field{{Key: "lambda_arn", Value: arn}}}
			rec.Resources = append(rec.Resources, res)
		}
	}
	handler, api := get("api_handler_arn"), get("rest_api_id")
	if handler == nil || api == nil {
		return nil, syntaxErr(path, data, entry.Off, fmt.Sprintf("stage %q needs \"api_handler_arn\" and \"rest_api_id\"", stage))
	}
	rec.Resources = append(rec.Resources,
		Resource{Name: APIHandlerName, Type: TypeLambdaFunction, Fields: []Field{{Key: "lambda_arn", Value: handler.Value}}},
		Resource{Name: RestAPIName, Type: TypeRestAPI, Fields: []Field{{Key: "rest_api_id", Value: api.Value}}},
	)
	return rec, nil
}
