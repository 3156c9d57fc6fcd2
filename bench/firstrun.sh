#!/usr/bin/env bash
# bench/firstrun.sh measures a newcomer's first run on a fresh clone with an empty Go build cache, each part
# side by side with the least a Go tool can cost:
#   - up: the README's quickstart `go run ./cmd/cws --project-dir examples/hello up` (with --port 0), from the
#     start of the command until both stages answer (GET /dev/ says "Hello from dev", GET /master/ "Hello from
#     master"); peer: `go build ./cmd/cws ./examples/hello`;
#   - tests: the README's `go test -race ./...`; peer: `go test -race -run '^$' ./...`, which compiles every
#     test binary and runs no test.
# Rounds interleave the contenders (alternating which goes first) so the machine's load hits them alike;
# every measurement gets its own empty GOCACHE and a clean clone. The module cache stays warm (downloading
# modules costs the same for all) and nothing is downloaded while measuring (GOPROXY=off).
#
# Usage: bench/firstrun.sh [ROUNDS [REV...]]   (default: 3 rounds of HEAD)
#   BENCH_PARTS="up tests" (default) selects the parts. With several REVs (commits, branches), each round
#   measures cws at each of them, for a before/after in one run; the peers run on the first REV.
# Needs git, curl and setsid. Prints the results as markdown, medians of the rounds.
set -euo pipefail
rounds=${1:-3}
shift || true
revs=("$@")
((${#revs[@]})) || revs=(HEAD)
parts=${BENCH_PARTS:-up tests}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
pgid=
cleanup() {
	[[ -z $pgid ]] || kill -KILL -- "-$pgid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
log() { echo "# $(date -u +%H:%M:%S) $*" >&2; }
export NO_COLOR=1 CWS_STAGE= GOTOOLCHAIN=local GOFLAGS= GOPROXY=off

for i in "${!revs[@]}"; do
	git clone --quiet --no-hardlinks "$repo" "$work/clone$i"
	git -C "$work/clone$i" checkout --quiet --detach "$(git -C "$repo" rev-parse "${revs[$i]}")"
	(cd "$work/clone$i" && GOPROXY= go mod download) # fill the module cache once, not timed
done

now() { date +%s%N; }
secs() { echo "scale=1; ($2 - $1) / 1000000000" | bc; } # secs START END

# cold CLONE CMD...: seconds CMD takes in CLONE, cleaned, with an empty GOCACHE.
cold() {
	local clone=$1 gocache t0 t1
	shift
	git -C "$clone" clean --quiet -fdx # a fresh clone: no build cache, no local cloud, no records
	gocache=$(mktemp -d "$work/gocache.XXXX")
	t0=$(now)
	if ! (cd "$clone" && GOCACHE=$gocache "$@") >"$work/cmd.out" 2>&1; then
		grep -E '^(FAIL|--- FAIL|panic:)' "$work/cmd.out" | head -20 >&2 || tail -20 "$work/cmd.out" >&2
		log "FAILED (timed anyway): $*"
	fi
	t1=$(now)
	rm -rf "$gocache"
	secs "$t0" "$t1"
}

# answers URL TEXT: whether GET URL answers a body containing TEXT.
answers() { curl -fsS --max-time 2 "$1" 2>/dev/null | grep -qF "$2"; }

# firstup CLONE: seconds from `go run ./cmd/cws --project-dir examples/hello up` to both stages answering.
firstup() {
	local clone=$1 gocache t0 t1 out dev master
	git -C "$clone" clean --quiet -fdx
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
add() { # add NAME SECONDS: records one measurement; an empty one (the measurement failed) stops the run
	[[ $2 =~ ^[0-9.]+$ ]] || { echo "firstrun.sh: measuring $1 failed" >&2; exit 1; }
	res[$1]="${res[$1]:-}${res[$1]:+ }$2"
	log "$1: $2 s"
}
median() { tr ' ' '\n' <<<"${res[$1]}" | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# measure NAME: one measurement of contender NAME (peer-up, up, peer-tests, tests) in every REV it runs at.
measure() {
	case $1 in
	peer-up)
		log "go build ./cmd/cws ./examples/hello"
		add peer-up "$(cold "$work/clone0" go build ./cmd/cws ./examples/hello)"
		;;
	peer-tests)
		log "go test -race -run '^\$' ./..."
		add peer-tests "$(cold "$work/clone0" go test -race -timeout 60m -run '^$' ./...)"
		;;
	up | tests)
		for i in "${!revs[@]}"; do
			log "first $1 at ${revs[$i]}"
			if [[ $1 == up ]]; then
				add "up$i" "$(firstup "$work/clone$i")"
			else
				add "tests$i" "$(cold "$work/clone$i" go test -race -timeout 60m ./...)"
			fi
		done
		;;
	esac
}

load0=$(cut -d' ' -f1-3 /proc/loadavg)
for r in $(seq "$rounds"); do
	for part in $parts; do
		log "round $r/$rounds: $part"
		if ((r % 2)); then
			measure "peer-$part" && measure "$part"
		else
			measure "$part" && measure "peer-$part"
		fi
	done
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)

cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
echo "Run of $(date -u +%Y-%m-%d) at $(date -u +%H:%M) UTC: BENCH_PARTS=\"$parts\" bench/firstrun.sh $rounds ${revs[*]};"
echo "$(nproc) CPUs ($cpu), $(go version | cut -d' ' -f3). Load average (1, 5, 15 min) at start $load0, at end $load1."
echo "Medians of $rounds rounds, in seconds; every measurement on a clean clone with an empty GOCACHE."
row() { # row LABEL NAME PEER
	local m p
	m=$(median "$2")
	p=$(median "$3")
	echo "| $1 | $m s | ${res[$2]} | $(echo "scale=2; $m / $p" | bc) |"
}
for part in $parts; do
	echo
	echo "| what | median | rounds | ratio to the peer |"
	echo "|---|---:|---|---:|"
	if [[ $part == up ]]; then
		row "peer: go build ./cmd/cws ./examples/hello" peer-up peer-up
		for i in "${!revs[@]}"; do row "first cws up at ${revs[$i]}, until both stages answer" "up$i" peer-up; done
	else
		row "peer: go test -race -run '^\$' ./... (compiles every test binary)" peer-tests peer-tests
		for i in "${!revs[@]}"; do row "go test -race ./... at ${revs[$i]}" "tests$i" peer-tests; done
	fi
done
