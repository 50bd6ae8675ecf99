#!/usr/bin/env bash
# Byte-identity check for changes that must not change results (refactors, speed work).
#
#   scripts/byte-identity.sh record BIN DIR    run every shipped scenario and study with BIN into DIR
#   scripts/byte-identity.sh compare OLD NEW   record with two binaries and compare every file
#   scripts/byte-identity.sh check DIR NEW     compare NEW against a recording made with `record`
#
# Every table, chart and report of the shipped scenarios is compared byte for byte. The only lines
# left out are the ones that name the run itself rather than its results: the command line, the
# start time, the wall time and the git revision (in manifest.ron and the report), and the
# manifest's hashes of the two report files that contain them.
#
# Typical use, with the binary of main and the binary of a change:
#   cp target/release/dcplan /tmp/dcplan-before        # on main
#   cargo build --release                              # with the change
#   scripts/byte-identity.sh compare /tmp/dcplan-before target/release/dcplan
set -euo pipefail
cd "$(dirname "$0")/.."

# Lines that describe the invocation, not the results.
VOLATILE='git_revision:|command_line:|started_utc:|wall_time_s:|\| git revision \||\| command line \||\| started \||\| prepared \||<td>prepared</td>|\| wall time|<td>git revision</td>|<td>command line</td>|<td>started</td>|<td>wall time|"report\.(html|md)", "blake3:'

record() {
    local bin="$1" dir="$2"
    bin="$(realpath "$bin")"
    if [ -e "$dir" ]; then
        echo "byte-identity: $dir exists; give a new folder" >&2
        exit 2
    fi
    mkdir -p "$dir/raw"
    local raw="$dir/raw"
    local s name
    # Every shipped scenario, as `dcplan run` runs it (each scenario's own seed and replications).
    for s in scenarios/*.ron benches/scenarios/*.ron; do
        name="$(echo "${s%.ron}" | tr '/' '_')"
        "$bin" run "$s" --out "$raw/run_$name" -q -t 2
    done
    # The built-in default scenario, no arguments but the output folder.
    "$bin" run --out "$raw/run_builtin" -q
    # Thread count and shard split do not change results: one thread, and three shards merged.
    "$bin" run scenarios/small.ron --out "$raw/small_t1" -q -t 1
    for i in 0 1 2; do
        "$bin" run scenarios/small.ron --shard "$i/3" --out "$raw/small_parts/part-$i-of-3" -q
    done
    "$bin" report "$raw/small_parts" --out "$raw/small_merged" -q
    # Rebuild a finished folder from its tables.
    cp -r "$raw/run_scenarios_tiny" "$raw/tiny_rebuilt"
    "$bin" report "$raw/tiny_rebuilt" --force -q
    # Studies and comparisons.
    "$bin" compare scenarios/energy-*.ron -r 16 --out "$raw/compare_energy" -q
    "$bin" sensitivity scenarios/small.ron -r 8 --out "$raw/sensitivity_small" -q
    "$bin" optimize scenarios/default.ron -r 4 --out "$raw/optimize_default" -q
    "$bin" init "$raw/init.ron" >/dev/null
    "$bin" catalog >"$raw/catalog.txt"
    "$bin" check scenarios/*.ron >"$raw/check.txt" 2>&1 || true

    # Normalize: drop the lines that name the invocation.
    (cd "$raw" && find . -type f | sort) | while read -r f; do
        mkdir -p "$dir/norm/$(dirname "$f")"
        case "$f" in
        *.png | *.parquet | *.svg | *.csv)
            cp "$raw/$f" "$dir/norm/$f"
            ;;
        *)
            grep -avE "$VOLATILE" "$raw/$f" >"$dir/norm/$f" || true
            ;;
        esac
    done
    echo "byte-identity: recorded $(find "$dir/norm" -type f | wc -l) files in $dir/norm"
}

case "${1:-}" in
record)
    [ $# = 3 ] || { echo "usage: $0 record BIN DIR" >&2; exit 2; }
    record "$2" "$3"
    ;;
compare)
    [ $# = 3 ] || { echo "usage: $0 compare OLD_BIN NEW_BIN" >&2; exit 2; }
    work="$(mktemp -d "${TMPDIR:-/tmp}/dcplan-byte-identity.XXXXXX")"
    record "$2" "$work/old"
    record "$3" "$work/new"
    if diff -r -q "$work/old/norm" "$work/new/norm"; then
        echo "byte-identity: PASS: $(find "$work/new/norm" -type f | wc -l) files identical ($work)"
    else
        echo "byte-identity: FAIL: the files above differ ($work)" >&2
        exit 1
    fi
    ;;
check)
    [ $# = 3 ] || { echo "usage: $0 check DIR NEW_BIN" >&2; exit 2; }
    work="$(mktemp -d "${TMPDIR:-/tmp}/dcplan-byte-identity.XXXXXX")"
    record "$3" "$work/new"
    if diff -r -q "$2/norm" "$work/new/norm"; then
        echo "byte-identity: PASS: $(find "$work/new/norm" -type f | wc -l) files identical to $2 ($work)"
    else
        echo "byte-identity: FAIL: the files above differ ($work)" >&2
        exit 1
    fi
    ;;
*)
    sed -n '2,17p' "$0"
    exit 2
    ;;
esac
