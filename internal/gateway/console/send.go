package console

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// maxShownBody is how much of a response body the console shows.
const maxShownBody = 1 << 20

// sendRequest is what the page asks the console to send to a stage.
type sendRequest struct {
	Stage   string      `json:"stage"`
	Method  string      `json:"method"`
	Path    string      `json:"path"`
	Headers [][2]string `json:"headers"`
	Body    string      `json:"body"`
}

// sendResponse is the answer the page shows.
type sendResponse struct {
	Status    int         `json:"status"`
	Headers   [][2]string `json:"headers"`
	Body      string      `json:"body"`
	Truncated bool        `json:"truncated"`
	Binary    bool        `json:"binary"`
	LatencyMS float64     `json:"latency_ms"`
	RequestID string      `json:"request_id"`
}

var sendMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}

// serveSend sends one request to a served stage through the gateway's HTTP port, as any client would (so it
// shows in the live log like a curl request), and returns the answer. The request must be same-origin JSON:
// a page elsewhere cannot make the browser send it (it would need a CORS preflight, which is refused).
func (c *Console) serveSend(w http.ResponseWriter, r *http.Request) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "send JSON (Content-Type: application/json)")
		return
	}
	if o := r.Header.Get("Origin"); o != "" {
		if u, err := url.Parse(o); err != nil || u.Host != r.Host {
			writeError(w, http.StatusForbidden, "cross-origin request refused")
			return
		}
	}
	var in sendRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 2*maxShownBody)).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "bad request: "+err.Error())
		return
	}
	in.Method = strings.ToUpper(strings.TrimSpace(in.Method))
	if !slices.Contains(sendMethods, in.Method) {
		writeError(w, http.StatusBadRequest, "method must be one of "+strings.Join(sendMethods, ", "))
		return
	}
	if !strings.HasPrefix(in.Path, "/") {
		writeError(w, http.StatusBadRequest, "the path must start with /")
		return
	}
	st, err := c.knownStage(r.Context(), in.Stage)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	if st == nil || !st.Served {
		writeError(w, http.StatusBadRequest, "stage "+in.Stage+" is not served by this gateway")
		return
	}
	base, err := url.Parse(c.opts.GatewayURL)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "gateway URL: "+err.Error())
		return
	}
	req, err := http.NewRequestWithContext(r.Context(), in.Method, strings.TrimSuffix(c.opts.GatewayURL, "/")+"/"+st.APIStage+in.Path, strings.NewReader(in.Body))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	for _, h := range in.Headers {
		if k := strings.TrimSpace(h[0]); k != "" {
			req.Header.Add(k, strings.TrimSpace(h[1]))
		}
	}
	if st.RestAPIID != "" { // the REST API's own host: unambiguous when several APIs have a stage of that name
		req.Host = st.RestAPIID + ".execute-api.localhost:" + base.Port()
	}
	start := time.Now()
	resp, err := c.client.Do(req)
	if err != nil {
		writeError(w, http.StatusBadGateway, "sending the request: "+err.Error())
		return
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxShownBody+1))
	latency := time.Since(start)
	if err != nil {
		writeError(w, http.StatusBadGateway, "reading the answer: "+err.Error())
		return
	}
	out := sendResponse{Status: resp.StatusCode, LatencyMS: float64(latency.Microseconds()) / 1000,
		RequestID: resp.Header.Get("X-Amzn-Requestid")}
	if len(body) > maxShownBody {
		body, out.Truncated = body[:maxShownBody], true
	}
	if utf8.Valid(body) && !bytes.ContainsRune(body, 0) {
		out.Body = string(body)
	} else {
		out.Binary = true
		out.Body = "(" + http.DetectContentType(body) + " body, not shown)"
	}
	for _, k := range slices.Sorted(maps.Keys(resp.Header)) {
		for _, v := range resp.Header[k] {
			out.Headers = append(out.Headers, [2]string{k, v})
		}
	}
	writeJSON(w, out)
}
