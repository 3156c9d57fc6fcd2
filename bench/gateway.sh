#!/usr/bin/env bash
# bench/gateway.sh measures the local cloud's gateway serving 20 stages of one project at once, all on one
# REST API (deployed by `cws up s01 ... s20`, then served by a fresh `cws gateway`):
#   - memory (RSS of cws and every function process it started): idle (no function started yet), then after
#     one request per stage (20 warm execution environments), then after the throughput runs;
#   - throughput with wrk -t2 -c32 -d10s (32 connections, as many as the default concurrency limit): one
#     stage alone (its URL only), then across the 20 stages (a Lua script rotating over their URLs), both
#     against the same gateway in the same run.
# Usage: bench/gateway.sh [duration]   (default 10s). Needs wrk, curl and python3 (for a free port).
#   env: BENCH_CONNS=32 wrk's connections; BENCH_LIMIT=N serves with `cws gateway --concurrency-limit N`
#   (default: the gateway's own limit).
set -euo pipefail
dur=${1:-10s}
conns=${BENCH_CONNS:-32}
limit=()
[[ -z ${BENCH_LIMIT:-} ]] || limit=(--concurrency-limit "$BENCH_LIMIT")
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
pid=
cleanup() {
	if [[ -n $pid ]]; then kill -INT "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT
export NO_COLOR=1 GOPROXY=off GOFLAGS=-mod=mod GOTOOLCHAIN=local CWS_STAGE=
(cd "$repo" && go build -o "$work/cws" ./cmd/cws)
cws="$work/cws"
(cd "$work" && "$cws" new svc --replace "$repo" >/dev/null)
cd "$work/svc"
go mod tidy
stages=()
for i in $(seq -w 1 20); do
	"$cws" stage add "s$i" --env "GREETING=Hello from s$i" >/dev/null
	stages+=("s$i")
done
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

serve() { # serve CMD...: start cws in the background and wait until it prints its curl lines or URLs
	: >"$work/out"
	"$@" >"$work/out" 2>"$work/err" &
	pid=$!
	until grep -q "^  s20: " "$work/out"; do
		kill -0 "$pid" 2>/dev/null || { cat "$work/err" >&2; exit 1; }
		sleep 0.1
	done
}
stop() { kill -INT "$pid" && wait "$pid" || true; pid=; }
t0=$(date +%s%N)
serve "$cws" up "${stages[@]}" --port "$port"
t1=$(date +%s%N)
stop
grep -q "sharing REST API" "$work/err" || { echo "cws up did not share one REST API" >&2; exit 1; }
serve "$cws" gateway --port "$port" "${limit[@]}"

rss() { # rss: total RSS in KiB of the gateway and every process under it
	local total=0 p
	local -a todo=("$pid") all=()
	while ((${#todo[@]})); do
		p=${todo[0]}
		todo=("${todo[@]:1}")
		all+=("$p")
		for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do todo+=("$c"); done
	done
	for p in "${all[@]}"; do
		total=$((total + $(awk '/^VmRSS:/ {print $2}' /proc/"$p"/status 2>/dev/null || echo 0)))
	done
	echo "$total ${#all[@]}"
}
sleep 1
read -r idle nidle < <(rss)
for s in "${stages[@]}"; do
	got=$(curl -s "http://127.0.0.1:$port/$s/")
	[[ $got == "Hello from $s" ]] || { echo "stage $s answered: $got" >&2; exit 1; }
done
sleep 1
read -r warm nwarm < <(rss)

lua="$work/rotate.lua"
{
	echo 'local paths = {'
	for s in "${stages[@]}"; do echo "  \"/$s/\","; done
	echo '}'
	echo 'local i = 0'
	echo 'request = function() i = i % #paths + 1; return wrk.format("GET", paths[i]) end'
} >"$lua"
rps() { awk '/^Requests\/sec:/ {print $2}'; }
lat() { awk '/^    Latency/ {print $2}'; }
wrk -t2 -c"$conns" -d"$dur" "http://127.0.0.1:$port/s01/" >"$work/one.txt"
wrk -t2 -c"$conns" -d"$dur" -s "$lua" "http://127.0.0.1:$port/" >"$work/all.txt"
read -r loaded nloaded < <(rss)
for f in one all; do
	if grep -q 'Non-2xx' "$work/$f.txt"; then echo "wrk $f: errors" >&2; cat "$work/$f.txt" >&2; exit 1; fi
done
one=$(rps <"$work/one.txt")
all=$(rps <"$work/all.txt")

printf 'cws up, 20 stages (deploy + serve)      %8d ms\n' $(((t1 - t0) / 1000000))
printf 'RSS idle (no function started)          %8.1f MiB  (%d processes)\n' "$(echo "$idle/1024" | bc -l)" "$nidle"
printf 'RSS with 20 warm environments           %8.1f MiB  (%d processes)\n' "$(echo "$warm/1024" | bc -l)" "$nwarm"
printf '  per warm environment                  %8.1f MiB\n' "$(echo "($warm-$idle)/20/1024" | bc -l)"
printf 'RSS after the wrk runs                  %8.1f MiB  (%d processes)\n' "$(echo "$loaded/1024" | bc -l)" "$nloaded"
printf 'concurrency limit                       %8s\n' "${BENCH_LIMIT:-default}"
printf 'wrk -c%-3s one stage alone               %8s req/s  (latency avg %s)\n' "$conns," "$one" "$(lat <"$work/one.txt")"
printf 'wrk -c%-3s rotating over 20 stages       %8s req/s  (latency avg %s)\n' "$conns," "$all" "$(lat <"$work/all.txt")"
printf '  ratio 20 stages / one stage           %8.2f\n' "$(echo "$all/$one" | bc -l)"
