#!/usr/bin/env bash
# bench/deploy.sh measures `cws deploy` to the local cloud, end to end (a fresh cws process each time),
# on a project made by `cws new`:
#   - unchanged: redeploy of a deployed stage (build cache hit, target unchanged); goal < 1 s;
#   - toggled: the code switches between two versions both in the build cache (no compile; new artifact stored);
#   - edited: a new edit each time (a real compile, Go's build cache warm);
# next to two floors from the same run: `cws version` (process start) and a no-op `go build ./...`.
# Usage: bench/deploy.sh [runs]   (default 15). Prints the median of each, in milliseconds.
set -euo pipefail
runs=${1:-15}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export NO_COLOR=1 GOPROXY=off GOFLAGS=-mod=mod GOTOOLCHAIN=local CWS_STAGE=
(cd "$repo" && go build -o "$work/cws" ./cmd/cws)
cws="$work/cws"
(cd "$work" && "$cws" new svc --replace "$repo" >/dev/null)
cd "$work/svc"
go mod tidy
"$cws" deploy --stage dev >/dev/null 2>&1

ms() { # ms CMD...: wall time of one run in milliseconds
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null 2>"$work/err" || { echo "failed: $*" >&2; cat "$work/err" >&2; exit 1; }
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

bench() { # bench NAME SETUP CMD...: median of runs, SETUP run before each (not timed)
	local name=$1 setup=$2
	shift 2
	for _ in $(seq "$runs"); do
		eval "$setup"
		ms "$@"
	done | median | xargs printf '%-40s %6s ms\n' "$name"
}

bench "cws version (process floor)" ":" "$cws" version
bench "go build ./... (no-op, warm)" ":" go build -o /dev/null .
bench "cws deploy, unchanged stage" ":" "$cws" deploy --stage dev
cp main.go main.go.a
sed 's/Hello from/Howdy from/' main.go.a >main.go.b
cp main.go.b main.go && "$cws" deploy --stage dev >/dev/null 2>&1
i=0
toggle() { i=$((i + 1)); if ((i % 2)); then cp main.go.a main.go; else cp main.go.b main.go; fi; }
bench "cws deploy, toggled code (cached build)" "toggle" "$cws" deploy --stage dev
n=0
edit() { n=$((n + 1)); sed "s/Hello from/Hello $n from/" main.go.a >main.go; }
bench "cws deploy, edited code (compile)" "edit" "$cws" deploy --stage dev
