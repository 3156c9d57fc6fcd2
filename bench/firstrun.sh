#!/usr/bin/env bash
# bench/firstrun.sh measures a newcomer's first run, side by side with the least a Go tool can cost:
#   - cws: on a fresh clone, with an empty Go build cache, the README's quickstart
#     `go run ./cmd/cws --project-dir examples/hello up` (with --port 0), from the start of the command until
#     both stages answer (GET /dev/ says "Hello from dev", GET /master/ "Hello from master");
#   - the peer: `go build ./cmd/cws ./examples/hello` on the same clone, also with an empty Go build cache.
# Rounds interleave the two (and alternate which goes first) so the machine's load hits both alike; each
# measurement gets its own empty GOCACHE and a clean clone. The module cache stays warm (downloading modules is
# the same for both); nothing is downloaded while measuring (GOPROXY=off).
#
# Usage: bench/firstrun.sh [ROUNDS [REV...]]   (default 3 rounds of HEAD)
# With several REVs (commits, branches), each round measures cws at each of them, for a before/after in one
# run; the peer is measured once per round, on the first REV. Needs git, curl and setsid.
set -euo pipefail
rounds=${1:-3}
shift || true
revs=("$@")
((${#revs[@]})) || revs=(HEAD)
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
pgid=
cleanup() {
	[[ -z $pgid ]] || kill -KILL -- "-$pgid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
log() { echo "# $*" >&2; }
export NO_COLOR=1 CWS_STAGE= GOTOOLCHAIN=local GOFLAGS= GOPROXY=off

for i in "${!revs[@]}"; do
	git clone --quiet --no-hardlinks "$repo" "$work/clone$i"
	git -C "$work/clone$i" checkout --quiet --detach "$(git -C "$repo" rev-parse "${revs[$i]}")"
	(cd "$work/clone$i" && GOPROXY= go mod download) # fill the module cache once, not timed
done

now() { date +%s%N; }
secs() { echo "scale=1; ($2 - $1) / 1000000000" | bc; } # secs START END

# peer CLONE: seconds of a cold `go build ./cmd/cws ./examples/hello`.
peer() {
	local gocache t0 t1
	gocache=$(mktemp -d "$work/gocache.XXXX")
	t0=$(now)
	(cd "$1" && GOCACHE=$gocache go build ./cmd/cws ./examples/hello)
	t1=$(now)
	rm -rf "$gocache"
	secs "$t0" "$t1"
}

# answers URL TEXT: whether GET URL answers a body containing TEXT.
answers() { curl -fsS --max-time 2 "$1" 2>/dev/null | grep -qF "$2"; }

# firstup CLONE: seconds from `go run ./cmd/cws --project-dir examples/hello up` to both stages answering.
firstup() {
	local clone=$1 gocache t0 t1 out dev master
	git -C "$clone" clean --quiet -fdx # a fresh clone: no build cache, no local cloud, no records
	gocache=$(mktemp -d "$work/gocache.XXXX")
	out=$work/up.out
	: >"$out"
	t0=$(now)
	(cd "$clone" && GOCACHE=$gocache exec setsid go run ./cmd/cws --project-dir examples/hello up --port 0 >"$out" 2>"$work/up.err") &
	pgid=$!
	dev= master=
	while :; do
		kill -0 "$pgid" 2>/dev/null || { cat "$work/up.err" >&2; echo "firstrun.sh: cws up exited" >&2; exit 1; }
		[[ -n $dev ]] || dev=$(grep -oE 'curl http://[^ ]+/dev/$' "$out" | cut -d' ' -f2 || true)
		[[ -n $master ]] || master=$(grep -oE 'curl http://[^ ]+/master/$' "$out" | cut -d' ' -f2 || true)
		if [[ -n $dev && -n $master ]] && answers "$dev" "Hello from dev" && answers "$master" "Hello from master"; then
			break
		fi
		sleep 0.05
	done
	t1=$(now)
	kill -INT -- "-$pgid" 2>/dev/null || true
	wait "$pgid" 2>/dev/null || true
	pgid=
	rm -rf "$gocache"
	secs "$t0" "$t1"
}

declare -A res # res[name] = values over the rounds, space-separated
add() { res[$1]="${res[$1]:-}${res[$1]:+ }$2"; }
median() { tr ' ' '\n' <<<"${res[$1]}" | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

load0=$(cut -d' ' -f1-3 /proc/loadavg)
for r in $(seq "$rounds"); do
	order=(peer up)
	((r % 2)) || order=(up peer)
	for what in "${order[@]}"; do
		if [[ $what == peer ]]; then
			log "round $r/$rounds: go build ./cmd/cws ./examples/hello"
			add peer "$(peer "$work/clone0")"
		else
			for i in "${!revs[@]}"; do
				log "round $r/$rounds: first cws up at ${revs[$i]}"
				add "up$i" "$(firstup "$work/clone$i")"
			done
		fi
	done
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)

cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
echo "Run of $(date -u +%Y-%m-%d) at $(date -u +%H:%M) UTC: bench/firstrun.sh $rounds ${revs[*]}; $(nproc) CPUs ($cpu), $(go version | cut -d' ' -f3)."
echo "Load average (1, 5, 15 min) at start $load0, at end $load1. Medians of $rounds rounds, seconds."
echo
echo "| what | median | rounds | ratio to go build |"
echo "|---|---:|---|---:|"
p=$(median peer)
echo "| go build ./cmd/cws ./examples/hello (empty GOCACHE) | $p s | ${res[peer]} | 1 |"
for i in "${!revs[@]}"; do
	u=$(median "up$i")
	echo "| first cws up at ${revs[$i]}, until both stages answer (empty GOCACHE) | $u s | ${res[up$i]} | $(echo "scale=2; $u / $p" | bc) |"
done
