package gateway

import (
	"net/http"
	"strconv"
	"time"
)

// logLine writes one human-readable access log line in a single Write:
//
//	15:04:05.000 [dev] GET /dev/value/1 200 1.23ms 8f2c0d6e-... (note)
//
// The stage is "-" when the request named none; status 0 (the client went away) is written "-".
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
}
