#!/usr/bin/env bash
# bench/stages.sh measures the local cloud with many stages on one machine, as a branch-per-stage workflow
# has them, side by side with another version of cws (the peer: by default the main branch) in the same run.
# For each stage count (default 10, 25 and 50) and each version, interleaved:
#   - a project of that many stages (`cws stage add s01` ..., each with its own GREETING), deployed with
#     `cws up`, then served by a fresh `cws gateway` with the version's defaults;
#   - a burst on each stage in turn: 20 requests, 8 at a time, each checked to answer its stage's greeting
#     (bench/stagesload), while the memory of the gateway and every process under it is sampled every 50 ms;
#   - then every function process is killed (environments stopping, as the idle timeout stops them) and the
#     gateway's own threads and memory are read again 3 s later.
# Usage: bench/stages.sh [COUNT...]   env: BENCH_PEER=main (a git ref of this repository), BENCH_BURST=20,
# BENCH_PARALLEL=8. Needs go and git. Prints the results as markdown.
set -euo pipefail
counts=("$@")
((${#counts[@]})) || counts=(10 25 50)
peer=${BENCH_PEER:-main}
burst=${BENCH_BURST:-20}
parallel=${BENCH_PARALLEL:-8}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
gw=
cleanup() {
	if [[ -n $gw ]]; then kill -INT "$gw" 2>/dev/null && wait "$gw" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT
export NO_COLOR=1 GOPROXY=off GOFLAGS=-mod=mod GOTOOLCHAIN=local CWS_STAGE=
log() { echo "# $*" >&2; }

# --- the two versions ------------------------------------------------------------------------------------
mkdir -p "$work/peer-src" "$work/bin"
git -C "$repo" archive "$peer" | tar -x -C "$work/peer-src"
(cd "$work/peer-src" && go build -o "$work/bin/cws-peer" ./cmd/cws)
(cd "$repo" && go build -o "$work/bin/cws-this" ./cmd/cws)
(cd "$repo/bench" && go build -o "$work/bin/stagesload" ./stagesload)
declare -A framework=([peer]="$work/peer-src" [this]="$repo")

freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
field() { # field NAME LINE: the value of NAME=... in a stagesload line
	sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"
}
status() { awk -v f="$2" '$1 == f {print $2}' /proc/"$1"/status; }

declare -A result
for n in "${counts[@]}"; do
	for v in peer this; do
		cws="$work/bin/cws-$v"
		dir="$work/$v-$n"
		mkdir -p "$dir"
		log "$v: project with $n stages"
		(cd "$dir" && "$cws" new svc --replace "${framework[$v]}" >/dev/null)
		cd "$dir/svc"
		go mod tidy -e >/dev/null 2>&1
		stages=()
		for i in $(seq -f '%02g' 1 "$n"); do
			"$cws" stage add "s$i" --env "GREETING=Hello from s$i" >/dev/null
			stages+=("s$i")
		done
		port=$(freeport)
		log "$v: cws up ${#stages[@]} stages"
		"$cws" up "${stages[@]}" --port "$port" >"$work/up.out" 2>"$work/up.err" &
		gw=$!
		until grep -q "^Try it:" "$work/up.out"; do
			kill -0 "$gw" 2>/dev/null || { cat "$work/up.err" >&2; exit 1; }
			sleep 0.2
		done
		kill -INT "$gw" && wait "$gw" || true
		"$cws" gateway --port "$port" >"$work/gw.out" 2>"$work/gw.err" &
		gw=$!
		last=${stages[-1]}
		until grep -q "^  $last: " "$work/gw.out"; do
			kill -0 "$gw" 2>/dev/null || { cat "$work/gw.err" >&2; exit 1; }
			sleep 0.1
		done
		sleep 1
		threads0=$(status "$gw" Threads:)
		rss0=$(status "$gw" VmRSS:)
		log "$v: burst of $burst requests, $parallel at a time, on each of $n stages"
		line=$("$work/bin/stagesload" -base "http://127.0.0.1:$port" -pid "$gw" -stages "$(
			IFS=,
			echo "${stages[*]}"
		)" -burst "$burst" -parallel "$parallel") || { echo "$line" >&2; exit 1; }
		# Environments stop: every function process of the gateway is killed.
		for c in $(cat /proc/"$gw"/task/*/children 2>/dev/null); do kill -KILL "$c" 2>/dev/null || true; done
		sleep 3
		threads1=$(status "$gw" Threads:)
		rss1=$(status "$gw" VmRSS:)
		kill -INT "$gw" && wait "$gw" || true
		gw=
		cd "$work"
		result[$v,$n]="$line threads0=$threads0 threads1=$threads1 gwrss0=$rss0 gwrss1=$rss1"
		log "$v $n: ${result[$v,$n]}"
	done
done

echo "Run of $(date -u '+%Y-%m-%d %H:%M') UTC: bench/stages.sh ${counts[*]} (burst $burst, $parallel at a time), $(nproc) CPUs,"
echo "$(go version | cut -d' ' -f3), peer \`$peer\`. Load average (1, 5, 15 min) at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
echo
echo "| stages | version | requests | failed | p50 | p99 | max | peak memory (all processes) | peak processes | gateway threads: start / peak / after | gateway memory: start / after |"
echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---|"
for n in "${counts[@]}"; do
	for v in peer this; do
		l=${result[$v,$n]}
		printf '| %s | %s | %s | %s | %s ms | %s ms | %s ms | %s MB | %s | %s / %s / %s | %.1f / %.1f MB |\n' "$n" "$v" \
			"$(field requests "$l")" "$(field failed "$l")" "$(field p50_ms "$l")" "$(field p99_ms "$l")" "$(field max_ms "$l")" \
			"$(field peak_rss_mb "$l")" "$(field peak_procs "$l")" "$(field threads0 "$l")" "$(field peak_threads "$l")" \
			"$(field threads1 "$l")" "$(echo "$(field gwrss0 "$l")/1024" | bc -l)" "$(echo "$(field gwrss1 "$l")/1024" | bc -l)"
	done
done
echo
echo "| stages | p99 this / peer | peak memory this / peer |"
echo "|---:|---:|---:|"
for n in "${counts[@]}"; do
	printf '| %s | %.2f | %.2f |\n' "$n" \
		"$(echo "$(field p99_ms "${result[this,$n]}")/$(field p99_ms "${result[peer,$n]}")" | bc -l)" \
		"$(echo "$(field peak_rss_mb "${result[this,$n]}")/$(field peak_rss_mb "${result[peer,$n]}")" | bc -l)"
done
