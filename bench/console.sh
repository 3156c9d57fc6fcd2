#!/usr/bin/env bash
# bench/console.sh measures what the console and the persisted logs cost the local gateway: c32 throughput
# (32 concurrent keep-alive clients on GET /dev/ of examples/hello) of
#   - bare:      the gateway without the log store and the console,
#   - quiet:     function logs persisted to the local store, the console's request feed on, no page open,
#   - streaming: the same with a console page's two event streams open (live requests, dev's function log),
# all three in each round of BenchmarkConsoleStreamingC32 (internal/gateway/console), one after the other,
# rounds repeated; then the median of each, and the median over the rounds of each round's ratios (the three
# variants of a round run within seconds of each other, so a round's ratio suffers less from the machine's
# other load than the medians do). Throughput and this process's CPU per request (function processes excluded). Usage: bench/console.sh [rounds] [benchtime]   (default 5 rounds of 5s).
set -euo pipefail
rounds=${1:-5}
benchtime=${2:-5s}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$repo/internal/gateway/console" && go test -c -o "$work/console.test" .)
for i in $(seq 1 "$rounds"); do
	(cd "$repo/internal/gateway/console" && "$work/console.test" -test.run '^$' -test.bench ConsoleStreamingC32 \
		-test.benchtime "$benchtime") | tee -a "$work/out" | grep -E '^Benchmark' >&2
done
awk '
/^BenchmarkConsoleStreamingC32\// {
	split($1, name, "/"); sub(/-[0-9]+$/, "", name[2]); v = name[2]
	for (i = 2; i <= NF; i++) {
		if ($(i) == "req/s") rps[v] = rps[v] " " $(i-1)
		if ($(i) == "cpu-µs/req") cpu[v] = cpu[v] " " $(i-1)
	}
	if (v == "streaming") { # one round done: its ratios
		n = split(rps["quiet"], q, " "); split(rps["streaming"], s, " "); split(rps["bare"], b, " ")
		sq = sq " " s[n] / q[n]; qb = qb " " q[n] / b[n]
		n = split(cpu["quiet"], q, " "); split(cpu["streaming"], s, " "); split(cpu["bare"], b, " ")
		csq = csq " " s[n] / q[n]; cqb = cqb " " q[n] / b[n]
	}
}
function median(s,   a, n, i, j, t) {
	n = split(s, a, " ")
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
END {
	printf "median req/s:       bare %.0f, quiet %.0f, streaming %.0f\n", median(rps["bare"]), median(rps["quiet"]), median(rps["streaming"])
	printf "median cpu-µs/req:  bare %.1f, quiet %.1f, streaming %.1f\n", median(cpu["bare"]), median(cpu["quiet"]), median(cpu["streaming"])
	printf "streaming / quiet, median of the rounds: throughput %.3f (goal: at least 0.95), CPU per request %.3f\n", median(sq), median(csq)
	printf "quiet / bare (persisted logs and the request feed), median of the rounds: throughput %.3f, CPU per request %.3f\n", median(qb), median(cqb)
}' "$work/out"
