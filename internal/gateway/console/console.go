// Package console is the local stage console: a web page served by the gateway process on its own loopback
// address, showing every stage of the project (target, URL, artifact, last deploy, protection, history,
// routes, masked environment), a form to send a request to a route and see the answer, the gateway's requests live, each
// stage's function log live, and the difference of two stages side by side.
//
// The page is plain HTML, CSS and JavaScript embedded in the binary (no build step); live views are
// Server-Sent Events. The console reads what it shows through Project and the logs readers; it never holds
// a secret value: environment values reach it masked.
package console

import (
	"context"
	"embed"
	"encoding/json"
	"io/fs"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/coworks-go/coworks/internal/gateway"
	"github.com/coworks-go/coworks/internal/logs"
)

//go:embed assets
var assets embed.FS

// Masked replaces every environment value the console shows.
const Masked = "********"

// Project is what the console shows about the project's stages; the CLI implements it.
type Project interface {
	// Name is the project's app name.
	Name() string
	// Stages lists every stage of the config and every deployed one, sorted by name.
	Stages(ctx context.Context) ([]Stage, error)
	// Diff compares the effective settings of two stages, values masked (secrets by fingerprint only).
	Diff(ctx context.Context, a, b string) (*Diff, error)
	// Logs returns the reader of a stage's function log (the local store, or CloudWatch for AWS stages).
	Logs(ctx context.Context, stage string) (logs.Reader, error)
	// History returns a stage's history as its target keeps it (for AWS stages that runs terraform, so the
	// page asks for it per stage rather than with Stages).
	History(ctx context.Context, stage string) (*History, error)
}

// Stage is one stage as the console shows it.
type Stage struct {
	Name string `json:"name"`
	// Target is the deploy target ("local", "terraform"), "" when the stage is not deployed.
	Target   string `json:"target"`
	Deployed bool   `json:"deployed"`
	// Served is true when this gateway serves the stage: the console can send it requests.
	Served bool `json:"served"`
	// URL is the stage's invoke URL.
	URL       string `json:"url"`
	RestAPIID string `json:"rest_api_id"`
	// APIStage is the API Gateway stage name, the URL's first path segment.
	APIStage string `json:"api_stage"`
	Function string `json:"function"`
	// Artifact is the base64 SHA-256 of the deployed zip.
	Artifact   string     `json:"artifact"`
	DeployedAt *time.Time `json:"deployed_at"`
	// Protected says the config protects the stage: deploying, promoting to, rolling back or deleting it
	// needs --confirm.
	Protected bool    `json:"protected"`
	Routes    []Route `json:"routes"`
	// Environment holds the stage's variables, every value Masked.
	Environment []Variable `json:"environment"`
	// Settings are the function settings worth a glance (memory, timeout, region...), as text.
	Settings []Setting `json:"settings"`
}

// History is a stage's history, newest entry first.
type History struct {
	Stage string `json:"stage"`
	// Target is the target that keeps it ("local", "terraform").
	Target  string         `json:"target"`
	Entries []HistoryEntry `json:"entries"`
}

// HistoryEntry is one deploy, promote, rollback or delete of a stage, as cws history shows it.
type HistoryEntry struct {
	N      int       `json:"n"`
	At     time.Time `json:"at"`
	Action string    `json:"action"`
	// Result is "ok" or "failed".
	Result string `json:"result"`
	// Artifact is the base64 SHA-256 of the code the stage ran after the change, "" for a delete.
	Artifact string `json:"artifact"`
	// Commit is the source commit, short, with "+dirty" when the tree had changes; "" when unknown.
	Commit string `json:"commit"`
	Actor  string `json:"actor"`
	// Note says where a promote came from, where a rollback went, why a change failed.
	Note string `json:"note"`
	// Current marks the entry whose artifact runs now.
	Current bool `json:"current"`
}

// Route is one method and resource of a stage.
type Route struct {
	Method     string `json:"method"`
	Path       string `json:"path"`
	Authorized bool   `json:"authorized"`
}

// Variable is one environment variable, its value masked.
type Variable struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Setting is one named setting shown as text.
type Setting struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Diff is the difference of two stages' effective settings.
type Diff struct {
	A    string    `json:"a"`
	B    string    `json:"b"`
	Rows []DiffRow `json:"rows"`
}

// DiffRow is one key that differs; "(unset)" stands for a side without it.
type DiffRow struct {
	Key string `json:"key"`
	A   string `json:"a"`
	B   string `json:"b"`
}

// Options configure a Console.
type Options struct {
	// Project is what the console shows. Required.
	Project Project
	// GatewayURL is the gateway's base URL (http://127.0.0.1:8000), where the console sends requests.
	GatewayURL string
	// AllowRemote lets requests whose Host is not a loopback name in; off, the console answers only
	// http://127.0.0.1, localhost and [::1] hosts, so that a web page elsewhere cannot reach it through DNS
	// rebinding.
	AllowRemote bool
	// RecentRequests is how many requests the live log replays to a new page; 0 means 200, at most 4096.
	RecentRequests int
}

// Console is the console's HTTP handler. Observe feeds it the gateway's requests.
type Console struct {
	opts     Options
	requests *requestFeed
	mux      *http.ServeMux
	client   *http.Client
}

// New returns a console.
func New(opts Options) *Console {
	if opts.RecentRequests <= 0 {
		opts.RecentRequests = 200
	}
	opts.RecentRequests = min(opts.RecentRequests, feedSize)
	c := &Console{
		opts:     opts,
		requests: newRequestFeed(),
		mux:      http.NewServeMux(),
		client:   &http.Client{Timeout: 60 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}
	static, _ := fs.Sub(assets, "assets")
	files := http.FileServerFS(static)
	c.mux.Handle("GET /", files)
	c.mux.HandleFunc("GET /api/stages", c.serveStages)
	c.mux.HandleFunc("GET /api/diff", c.serveDiff)
	c.mux.HandleFunc("GET /api/history", c.serveHistory)
	c.mux.HandleFunc("POST /api/send", c.serveSend)
	c.mux.HandleFunc("GET /api/events/requests", c.serveRequestEvents)
	c.mux.HandleFunc("GET /api/events/logs", c.serveLogEvents)
	return c
}

// Observe records one gateway request for the live log; it is gateway.Options.Observe.
func (c *Console) Observe(r gateway.Request) { c.requests.add(r) }

// ServeHTTP serves the page, its assets and its API.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !c.opts.AllowRemote && !loopbackHost(r.Host) {
		http.Error(w, "the console answers loopback hosts only (127.0.0.1, localhost, [::1])", http.StatusForbidden)
		return
	}
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
	c.mux.ServeHTTP(w, r)
}

func (c *Console) serveStages(w http.ResponseWriter, r *http.Request) {
	stages, err := c.opts.Project.Stages(r.Context())
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, map[string]any{"project": c.opts.Project.Name(), "gateway": c.opts.GatewayURL, "stages": stages})
}

func (c *Console) serveDiff(w http.ResponseWriter, r *http.Request) {
	a, b := r.URL.Query().Get("a"), r.URL.Query().Get("b")
	if a == "" || b == "" {
		writeError(w, http.StatusBadRequest, "give two stages: /api/diff?a=dev&b=prod")
		return
	}
	d, err := c.opts.Project.Diff(r.Context(), a, b)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, d)
}

func (c *Console) serveHistory(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("stage")
	s, err := c.knownStage(r.Context(), name)
	switch {
	case err != nil:
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	case s == nil:
		writeError(w, http.StatusNotFound, "no stage "+strconv.Quote(name)+": /api/history?stage=dev")
		return
	}
	h, err := c.opts.Project.History(r.Context(), name)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, h)
}

// knownStage returns the stage named name, or nil.
func (c *Console) knownStage(ctx context.Context, name string) (*Stage, error) {
	stages, err := c.opts.Project.Stages(ctx)
	if err != nil {
		return nil, err
	}
	for i := range stages {
		if stages[i].Name == name {
			return &stages[i], nil
		}
	}
	return nil, nil
}

// loopbackHost reports whether a Host header names this machine's loopback interface.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
