#!/usr/bin/env bash
# bench/console.sh measures what the console and the persisted logs cost the local gateway: c32 throughput
# (32 concurrent keep-alive clients on GET /dev/ of examples/hello) of
#   - bare:      the gateway without the log store and the console,
#   - quiet:     function logs persisted to the local store, the console's request feed on, no page open,
#   - streaming: the same with a console page's two event streams open (live requests, dev's function log),
# all three in each round of BenchmarkConsoleStreamingC32 (internal/gateway/console), rounds repeated, then the
# median of each and the ratios. Usage: bench/console.sh [rounds] [benchtime]   (default 5 rounds of 5s).
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
	split($1, name, "/"); sub(/-[0-9]+$/, "", name[2])
	for (i = 2; i <= NF; i++) if ($(i) == "req/s") v[name[2]] = v[name[2]] " " $(i-1)
}
function median(s,   a, n, i, j, t) {
	n = split(s, a, " ")
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
END {
	b = median(v["bare"]); q = median(v["quiet"]); s = median(v["streaming"])
	printf "median req/s: bare %.0f, quiet %.0f, streaming %.0f\n", b, q, s
	printf "streaming / quiet: %.3f (goal: at least 0.95)\n", s / q
	printf "quiet / bare (cost of persisting logs and the request feed): %.3f\n", q / b
}' "$work/out"
