#!/usr/bin/env bash
# bench/local.sh measures the local Lambda runtime (`cws run`) side by side with its peers, in one run:
#   - plain net/http hello (bench/localbench nethttp): the least a Go HTTP server costs;
#   - `cws run` of examples/hello, GET / and GET /dev/ (API Gateway pipeline + Runtime API + function process);
#   - the Runtime API floor, the pool and a function's cold start (bench/runtimefloor, reused as is);
#   - serverless-offline 13 (serverless@3, a Node hello handler), default worker-thread mode and --useInProcess;
#   - rebuild-and-swap of `cws run` after a one-line edit (warm Go cache), and memory per warm environment.
# Every contender is a freshly started server for every measurement (serverless-offline slows down the longer
# one server runs), warmed up for 1 s with the same wrk shape before the measured run. Rounds interleave the
# contenders so machine load hits them alike; figures are medians over the rounds.
#
# Usage: bench/local.sh            (env: BENCH_DURATION=10s per wrk run, BENCH_ROUNDS=3, BENCH_SWAPS=5,
#                                  BENCH_PARTS="runtime swap": `swap` alone measures only the rebuild-and-swap)
# Needs: go, wrk (Debian package `wrk`), node + npm (serverless-offline is installed once under
# ${XDG_CACHE_HOME:-~/.cache}/cws-bench/, keyed on its versions); `swap` alone needs only go.
# Prints the results as markdown.
set -euo pipefail
dur=${BENCH_DURATION:-10s}
rounds=${BENCH_ROUNDS:-3}
swaps=${BENCH_SWAPS:-5}
parts=${BENCH_PARTS:-runtime swap}
has() { [[ " $parts " == *" $1 "* ]]; } # has PART: whether BENCH_PARTS selects PART
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
export NO_COLOR=1 GOFLAGS=-mod=mod GOTOOLCHAIN=local CWS_STAGE=
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -KILL -- "-$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
log() { echo "# $*" >&2; }
die() { echo "local.sh: $*" >&2; exit 1; }

# --- tools -----------------------------------------------------------------------------------------------
if has runtime; then
	if ! command -v wrk >/dev/null; then
		if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
			log "installing wrk"
			apt-get install -y wrk >/dev/null || die "apt-get install -y wrk failed: install wrk (Debian/Ubuntu package wrk) and retry"
		else
			die "wrk is missing: run 'sudo apt-get install -y wrk' (or build https://github.com/wg/wrk) and retry"
		fi
	fi
	command -v npm >/dev/null || die "npm is missing: install Node.js 20+ with npm, needed for the serverless-offline peer"
	sls_versions=$(cd "$repo/bench/serverless-offline" && node -p 'const d=require("./package.json").devDependencies; d.serverless+"-"+d["serverless-offline"]')
	sls_dir=${XDG_CACHE_HOME:-$HOME/.cache}/cws-bench/sls-$sls_versions
	cp "$repo"/bench/serverless-offline/{package.json,serverless.yml,handler.js} "$work/" # sls_dir may not exist yet
	if [ ! -x "$sls_dir/node_modules/.bin/sls" ]; then
		log "installing serverless-offline ($sls_versions) into $sls_dir (about a minute, once)"
		mkdir -p "$sls_dir"
		cp "$work"/{package.json,serverless.yml,handler.js} "$sls_dir/"
		(cd "$sls_dir" && npm install --no-audit --no-fund >"$work/npm.log" 2>&1) ||
			{ cat "$work/npm.log" >&2; die "npm install failed in $sls_dir"; }
	fi
	cp "$work"/{package.json,serverless.yml,handler.js} "$sls_dir/" # the committed project files win
fi

log "building cws, localbench"
(cd "$repo" && go build -o "$work/cws" ./cmd/cws)
(cd "$repo/bench" && go build -o "$work/localbench" ./localbench && go build -o "$work/runtimefloor" ./runtimefloor)
cws=$work/cws lb=$work/localbench

# --- servers -----------------------------------------------------------------------------------------------
# start NAME PORT: starts contender NAME on PORT in its own process group (pid == pgid), waits until it serves.
start() {
	local name=$1 port=$2
	: >"$work/$name.out"
	case $name in
	nethttp)
		setsid "$lb" nethttp "127.0.0.1:$port" >"$work/$name.out" 2>&1 &
		;;
	cws-root | cws-stage)
		setsid "$cws" --project-dir "$repo/examples/hello" run --stage dev --port "$port" >"$work/$name.out" 2>"$work/$name.err" &
		;;
	sls-default | sls-inprocess)
		local flag=()
		[ "$name" = sls-inprocess ] && flag=(--useInProcess)
		(cd "$sls_dir" && SLS_TELEMETRY_DISABLED=1 SLS_NOTIFICATIONS_MODE=off AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x \
			exec setsid node_modules/.bin/sls offline --httpPort "$port" --lambdaPort "$("$lb" freeport)" \
			--noPrependStageInUrl "${flag[@]}") >"$work/$name.out" 2>&1 &
		;;
	esac
	server=$!
	pids+=("$server")
	case $name in
	sls-*) # ready when it says so
		for _ in $(seq 600); do
			grep -q "Server ready" "$work/$name.out" && return 0
			kill -0 "$server" 2>/dev/null || { cat "$work/$name.out" >&2; die "$name exited"; }
			sleep 0.1
		done
		die "$name not ready after 60 s" ;;
	cws-*)
		for _ in $(seq 6000); do
			grep -q "^Serving stage" "$work/$name.out" && return 0
			kill -0 "$server" 2>/dev/null || { cat "$work/$name.err" >&2; die "$name exited"; }
			sleep 0.05
		done
		die "$name not serving after 300 s" ;;
	*) "$lb" wait "http://127.0.0.1:$port/" 30s ;;
	esac
}

# stop: stops the last started server (cws gets SIGINT and stops its function processes itself).
stop() {
	kill -INT "$server" 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$server" 2>/dev/null || break; sleep 0.05; done
	kill -KILL -- "-$server" 2>/dev/null || true
	wait "$server" 2>/dev/null || true
}

url() { # url NAME PORT
	case $1 in cws-stage) echo "http://127.0.0.1:$2/dev/" ;; *) echo "http://127.0.0.1:$2/" ;; esac
}

# wrkrun CONNS URL DURATION OUT: one wrk run; fails on errors or non-2xx answers.
wrkrun() {
	local c=$1 t=2
	((c == 1)) && t=1
	wrk "-t$t" "-c$c" "-d$3" --latency "$2" >"$4" 2>&1 || { cat "$4" >&2; die "wrk failed on $2"; }
	if grep -qE "Non-2xx|Socket errors" "$4"; then cat "$4" >&2; die "errors from $2 (see above)"; fi
}
rps() { awk '/^Requests\/sec:/ {printf "%.0f\n", $2}' "$1"; }
pct() { # pct FILE 50|99: the latency percentile in µs
	awk -v p="$2%" '$1 == p { v = $2
		if (v ~ /us$/) { sub(/us$/, "", v); m = 1 } else if (v ~ /ms$/) { sub(/ms$/, "", v); m = 1000 } else { sub(/s$/, "", v); m = 1000000 }
		printf "%.0f\n", v * m }' "$1"
}

declare -A res # res[key] = values over the rounds, space-separated
add() { res[$1]="${res[$1]:-} $2"; }
median() { # median KEY
	printf '%s\n' ${res[$1]:-} | sort -g | awk '{a[NR] = $1} END {if (NR == 0) print "-"; else print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'
}
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# measure NAME CONNS: a fresh server, 1 s warm-up of the same shape, the measured run.
measure() {
	local name=$1 c=$2 port
	port=$("$lb" freeport)
	start "$name" "$port"
	local u
	u=$(url "$name" "$port")
	if [[ $name == cws-root && $c == 1 ]]; then # cold start through the whole gateway, first request of a fresh cws run
		add cws.first "$("$lb" first "$u")"
	fi
	wrkrun "$c" "$u" 1s "$work/warm"
	wrkrun "$c" "$u" "$dur" "$work/$name.$c"
	if ((c == 1)); then
		add "$name.p50" "$(pct "$work/$name.1" 50)"
		add "$name.p99" "$(pct "$work/$name.1" 99)"
	else
		add "$name.rps" "$(rps "$work/$name.$c")"
		add "$name.p50c" "$(pct "$work/$name.$c" 50)"
	fi
	if [[ $name == cws-* && $c != 1 ]]; then # memory of the warm environments and of cws itself
		local n=0 sum=0 kb
		for child in $(pgrep -P "$server"); do
			kb=$(rss_kb "$child")
			((kb > 0)) || continue
			n=$((n + 1)) sum=$((sum + kb))
		done
		add "$name.envs" "$n"
		((n > 0)) && add "$name.envrss" "$((sum / n))"
		add "$name.cwsrss" "$(rss_kb "$server")"
	fi
	stop
}

# --- run ---------------------------------------------------------------------------------------------------
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
log "load average at start: $load_start"
if has runtime; then
	log "first start of cws run builds examples/hello (not measured)"
	port=$("$lb" freeport)
	start cws-root "$port"
	"$lb" wait "http://127.0.0.1:$port/" 60s
	stop

	for r in $(seq "$rounds"); do
		for name in nethttp cws-root cws-stage sls-default sls-inprocess; do
			for c in 1 32; do
				log "round $r/$rounds: $name, $c connection(s), $dur"
				measure "$name" "$c"
			done
		done
		log "round $r/$rounds: runtimefloor"
		"$work/runtimefloor" >"$work/floor.$r" 2>&1 || { cat "$work/floor.$r" >&2; die "runtimefloor failed"; }
		floorline() { grep -F "| $1" "$work/floor.$r" | awk -F'|' -v f="$2" '{gsub(/[^0-9.]/, "", $f); print $f}'; }
		add floor.rps "$(floorline "minimal Runtime API server" 3)"
		add floor.p50 "$(floorline "minimal Runtime API server" 4)"
		add floor.p99 "$(floorline "minimal Runtime API server" 5)"
		add pool.p50 "$(floorline "runtimeapi.Pool.Invoke" 4)"
		add pool.p99 "$(floorline "runtimeapi.Pool.Invoke" 5)"
		add cold "$(floorline "new environment to first response" 3)"
		add floor.envrss "$(floorline "warm environment RSS" 3)"
	done
fi

swap_all=-
if has swap; then
	log "rebuild-and-swap: cws run serving a cws new project, $swaps one-line edits"
	(cd "$work" && "$cws" new svc --replace "$repo" >/dev/null && cd svc && GOPROXY=off go mod tidy)
	port=$("$lb" freeport)
	setsid "$cws" --project-dir "$work/svc" run --port "$port" >"$work/svc.out" 2>"$work/svc.err" &
	server=$!
	pids+=("$server")
	"$lb" wait "http://127.0.0.1:$port/" 120s
	"$lb" swap "http://127.0.0.1:$port/" "$work/svc/main.go" 'Hello from svc!' "$swaps" | tee "$work/swap" >&2
	add swap "$(awk '/^median/ {print $2}' "$work/swap")"
	swap_all=$(awk '/^swap/ {printf "%s%s", sep, $3; sep = ", "}' "$work/swap")
	stop
fi
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
log "load average at end: $load_end"

# --- report ------------------------------------------------------------------------------------------------
m() { median "$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0 || a == "-") print "-"; else printf "%.2f", a / b }'; }
goal() { awk -v v="$1" -v op="$2" -v g="$3" 'BEGIN { if (v == "-") print "-"; else if ((op == "<=" && v <= g) || (op == ">=" && v >= g) || (op == "<" && v < g)) print "met"; else print "**missed**" }'; }
mb() { awk -v k="$1" 'BEGIN { if (k == "-") print "-"; else printf "%.1f MB", k / 1024 }'; }

if ! has runtime; then # the rebuild-and-swap alone
	cat <<EOT
Run of $(date -u +%Y-%m-%d) at $(date -u +%H:%M) UTC: \`BENCH_PARTS="$parts" bench/local.sh\` (BENCH_SWAPS=$swaps),
$(nproc) CPUs ($(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(go version | cut -d' ' -f3). Load average (1, 5, 15 min) at start $load_start, at end $load_end.

| goal | measured | goal met |
|---|---:|---|
| rebuild-and-swap after a one-line edit, warm Go cache < 2 s (median of $swaps: $swap_all ms) | $(m swap) ms | $(goal "$(m swap)" "<" 2000) |
EOT
	exit 0
fi

cat <<EOF
Run of $(date -u +%Y-%m-%d) at $(date -u +%H:%M) UTC: \`bench/local.sh\` (BENCH_DURATION=$dur, BENCH_ROUNDS=$rounds, BENCH_SWAPS=$swaps),
$(nproc) CPUs ($(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(go version | cut -d' ' -f3), $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2), node $(node --version),
serverless $(echo "$sls_versions" | cut -d- -f1) + serverless-offline $(echo "$sls_versions" | cut -d- -f2). Load average (1, 5, 15 min) at start $load_start, at end $load_end.
Medians of $rounds rounds; every measurement on a freshly started server after a 1 s warm-up of the same shape.
1 connection: \`wrk -t1 -c1 -d$dur --latency\`; 32 connections: \`wrk -t2 -c32 -d$dur --latency\`.

| contender | 1 conn p50 | 1 conn p99 | 32 conn req/s | 32 conn p50 |
|---|---:|---:|---:|---:|
| plain net/http hello | $(m nethttp.p50) µs | $(m nethttp.p99) µs | $(m nethttp.rps) | $(m nethttp.p50c) µs |
| **cws run, GET /** | $(m cws-root.p50) µs | $(m cws-root.p99) µs | $(m cws-root.rps) | $(m cws-root.p50c) µs |
| **cws run, GET /dev/** | $(m cws-stage.p50) µs | $(m cws-stage.p99) µs | $(m cws-stage.rps) | $(m cws-stage.p50c) µs |
| serverless-offline (default, worker threads) | $(m sls-default.p50) µs | $(m sls-default.p99) µs | $(m sls-default.rps) | $(m sls-default.p50c) µs |
| serverless-offline --useInProcess | $(m sls-inprocess.p50) µs | $(m sls-inprocess.p99) µs | $(m sls-inprocess.rps) | $(m sls-inprocess.p50c) µs |
| Runtime API floor (runtimefloor: sequential calls, in-process client) | $(m floor.p50) µs | $(m floor.p99) µs | $(m floor.rps) calls/s, 1 caller | - |
| runtimeapi.Pool.Invoke (runtimefloor) | $(m pool.p50) µs | $(m pool.p99) µs | - | - |

| goal | measured | goal met |
|---|---:|---|
| cws run 1-conn p50 / Runtime API floor p50 ≤ 1.3 | $(ratio "$(m cws-root.p50)" "$(m floor.p50)") (GET /), $(ratio "$(m cws-stage.p50)" "$(m floor.p50)") (GET /dev/) | $(goal "$(ratio "$(m cws-root.p50)" "$(m floor.p50)")" "<=" 1.3) |
| cws run 32-conn req/s / serverless-offline default ≥ 3 | $(ratio "$(m cws-root.rps)" "$(m sls-default.rps)") | $(goal "$(ratio "$(m cws-root.rps)" "$(m sls-default.rps)")" ">=" 3) |
| cws run 32-conn req/s / serverless-offline --useInProcess ≥ 1 | $(ratio "$(m cws-root.rps)" "$(m sls-inprocess.rps)") | $(goal "$(ratio "$(m cws-root.rps)" "$(m sls-inprocess.rps)")" ">=" 1) |
| cold start, new environment to first response (runtimefloor) < 20 ms | $(m cold) ms | $(goal "$(m cold)" "<" 20) |
| rebuild-and-swap after a one-line edit, warm Go cache < 2 s (median of $swaps: $swap_all ms) | $(m swap) ms | $(goal "$(m swap)" "<" 2000) |

| other figures | value |
|---|---:|
| cws run 1-conn p50 / plain net/http p50 | $(ratio "$(m cws-root.p50)" "$(m nethttp.p50)") |
| cws run 32-conn req/s / plain net/http | $(ratio "$(m cws-root.rps)" "$(m nethttp.rps)") |
| first request to a freshly started cws run (cold environment + GET /) | $(m cws.first) ms |
| warm environments after the 32-connection run (GET /) | $(m cws-root.envs) |
| memory per warm environment (VmRSS of the function processes, mean per process) | $(mb "$(m cws-root.envrss)") |
| memory of the cws run process itself (VmRSS) | $(mb "$(m cws-root.cwsrss)") |
| memory of one warm environment in runtimefloor | $(m floor.envrss) MB |
EOF

echo
echo "| per-round values (µs, req/s, ms, kB) | rounds |"
echo "|---|---|"
for k in $(printf '%s\n' "${!res[@]}" | sort); do
	echo "| $k |${res[$k]} |"
done
