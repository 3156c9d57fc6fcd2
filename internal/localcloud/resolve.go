package localcloud

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/coworks-go/coworks/internal/deployed"
)

const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// validID reports whether id looks like an API Gateway REST API id: 10 characters from [a-z0-9].
func validID(id string) bool {
	if len(id) != 10 {
		return false
	}
	for _, c := range id {
		if !strings.ContainsRune(idAlphabet, c) {
			return false
		}
	}
	return true
}

// newID draws a REST API id not used in st.
func newID(r io.Reader, st *State) (string, error) {
	for {
		var b [10]byte
		for i := 0; i < len(b); {
			var c [1]byte
			if _, err := io.ReadFull(r, c[:]); err != nil {
				return "", fmt.Errorf("REST API id: %w", err)
			}
			if int(c[0]) >= 256/len(idAlphabet)*len(idAlphabet) {
				continue // keep the draw uniform
			}
			b[i] = idAlphabet[int(c[0])%len(idAlphabet)]
			i++
		}
		if st.API(string(b[:])) == nil {
			return string(b[:]), nil
		}
	}
}

// UnknownRestAPIError says a --rest-api-id value names neither a deployed stage nor a local REST API.
type UnknownRestAPIError struct {
	Value string
	// Stages are the locally deployed stages and IDs the local REST API ids, both sorted.
	Stages []string
	IDs    []string
}

func (e *UnknownRestAPIError) Error() string {
	msg := fmt.Sprintf("%q is neither a deployed stage nor a REST API of the local cloud", e.Value)
	if len(e.Stages) == 0 {
		return msg + " (nothing is deployed locally yet)"
	}
	return fmt.Sprintf("%s (deployed stages: %s; REST API ids: %s)", msg, strings.Join(e.Stages, ", "), strings.Join(e.IDs, ", "))
}

// ResolveRestAPI turns the value of --rest-api-id into a REST API id of the local cloud: a stage name
// whose record names a local REST API gives that API's id; otherwise value must be a local REST API id.
// Stage names win over ids. Anything else is an *UnknownRestAPIError listing what exists.
func ResolveRestAPI(projectDir, appName, value string) (string, error) {
	st, err := Load(projectDir)
	if err != nil {
		return "", err
	}
	if validName(value) {
		rec, err := deployed.Load(projectDir, value, appName)
		if err != nil {
			return "", err
		}
		if id, _, ok := rec.RestAPI(); ok && st.API(id) != nil {
			return id, nil
		}
	}
	if st.API(value) != nil {
		return value, nil
	}
	e := &UnknownRestAPIError{Value: value}
	for _, api := range st.RestAPIs {
		e.IDs = append(e.IDs, api.ID)
		for _, s := range api.Stages {
			e.Stages = append(e.Stages, s.ChaliceStage)
		}
	}
	slices.Sort(e.IDs)
	slices.Sort(e.Stages)
	return "", e
}

// validName keeps path separators and dot names out of record paths built from user input.
func validName(s string) bool {
	return s != "" && !strings.ContainsAny(s, `/\`) && !strings.HasPrefix(s, ".")
}
