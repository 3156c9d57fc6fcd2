package gateway

import (
	"io"
	"net/http"
	"strconv"
	"time"
)

// Request is what the gateway tells Options.Observe about one answered request: the fields of its access
// log line.
type Request struct {
	// Time is when the request arrived.
	Time time.Time `json:"time"`
	// APIID and APIStage are the REST API and API Gateway stage that served it ("" when none did).
	APIID    string `json:"api_id"`
	APIStage string `json:"api_stage"`
	// Stage is the cws stage of the function behind the API Gateway stage.
	Stage  string `json:"stage"`
	Method string `json:"method"`
	// Path is the request URI as sent (path and query).
	Path string `json:"path"`
	// Status is the HTTP status answered; 0 when the client went away first.
	Status int `json:"status"`
	// Latency runs from the request's arrival to its answer.
	Latency time.Duration `json:"latency_ns"`
	// RequestID is API Gateway's request id (x-amzn-RequestId), or Lambda's for an Invoke call.
	RequestID string `json:"request_id"`
	// LambdaRequestID is the id of the invocation the request made; "" when none was made.
	LambdaRequestID string `json:"lambda_request_id"`
	// Note says why a request failed, as the access log does.
	Note string `json:"note"`
}

// teeLog returns a writer writing to both w and also; nil writers are left out. Unlike io.MultiWriter, a
// failing w (a closed terminal) does not keep the lines from also (the persisted log).
func teeLog(w, also io.Writer) io.Writer {
	switch {
	case also == nil:
		return w
	case w == nil:
		return also
	}
	return tee{w, also}
}

type tee [2]io.Writer

func (t tee) Write(p []byte) (int, error) {
	_, err := t[0].Write(p)
	if _, err2 := t[1].Write(p); err == nil {
		err = err2
	}
	return len(p), err
}

// logLine writes one human-readable access log line in a single Write:
//
//	15:04:05.000 [dev] GET /dev/value/1 200 1.23ms 8f2c0d6e-... (note)
//
// The stage is "-" when the request named none; status 0 (the client went away) is written "-". The same
// facts go to Options.Observe.
func (g *Gateway) logLine(x *exchange, r *http.Request, se *stageEntry, status int, start time.Time, requestID, note string) {
	b := x.line[:0]
	end := g.opts.Now()
	b = start.AppendFormat(b, "15:04:05.000")
	b = append(b, " ["...)
	if se != nil {
		b = append(b, se.name...)
	} else {
		b = append(b, '-')
	}
	b = append(b, "] "...)
	b = append(b, r.Method...)
	b = append(b, ' ')
	b = append(b, r.RequestURI...)
	b = append(b, ' ')
	if status == 0 {
		b = append(b, '-')
	} else {
		b = strconv.AppendInt(b, int64(status), 10)
	}
	b = append(b, ' ')
	b = strconv.AppendFloat(b, float64(end.Sub(start).Microseconds())/1000, 'f', 2, 64)
	b = append(b, "ms "...)
	b = append(b, requestID...)
	if note != "" {
		b = append(b, " ("...)
		b = append(b, note...)
		b = append(b, ')')
	}
	b = append(b, '\n')
	g.opts.AccessLog.Write(b)
	x.line = b
	if g.opts.Observe != nil {
		req := Request{Time: start, Method: r.Method, Path: r.RequestURI, Status: status, Latency: end.Sub(start),
			RequestID: requestID, LambdaRequestID: x.lambdaID, Note: note}
		if se != nil {
			req.APIID, req.APIStage, req.Stage = se.apiID, se.name, se.fn.cfg.Stage
		}
		g.opts.Observe(req)
	}
}
