#!/usr/bin/env bash
# test_interrupt.sh - issue #7: SIGTERM mid-run leaves the previous GeoPackage byte-identical
# and the store with its old contents; a second run of the same job while one is running
# exits with code 5.
source "$(dirname "$0")/lib.sh"
fresh_dir
mkdir -p data/demo
cp "$HS_SOURCE_DIR/data/demo/job.ini" data/demo/job.ini
run_rc "$HOTSPOT" run -q >/dev/null
[ "$RC" -eq 0 ] || fail "first run exited $RC"
out=out/demo/hotspots.gpkg
store=out/demo/hotspots.gpkg.store.sqlite
cp "$out" before.gpkg
count_store() { sqlite3 "$store" "SELECT COUNT(*) FROM runs WHERE status = 'ok'"; }
runs_before=$(count_store)
rows_before=$(sqlite3 "$store" "SELECT COUNT(*) FROM incidents")

# Wait until the log shows stage $1 started/finished, at most 60 s.
wait_for() { for _ in $(seq 600); do grep -q "$1" "$2" && return 0; sleep 0.1; done; return 1; }

# 1. SIGTERM once the store transaction is open (the "store:" stage line is written).
"$HOTSPOT" run --no-progress 2>run.log >/dev/null &
pid=$!
wait_for "hotspot: store:" run.log || { kill -9 $pid; fail "the run never reached the store stage"; }
kill -TERM $pid
set +e; wait $pid; RC=$?; set -e
[ "$RC" -eq 143 ] || fail "SIGTERM: exit $RC, expected 143 ($(tail -3 run.log))"
grep -q "stopped by signal 15" run.log || fail "no message about the signal: $(tail -3 run.log)"
cmp -s before.gpkg "$out" || fail "the previous GeoPackage changed"
[ "$(count_store)" -eq "$runs_before" ] || fail "the store gained a committed run"
[ "$(sqlite3 "$store" "SELECT COUNT(*) FROM incidents")" -eq "$rows_before" ] || fail "store rows changed"
sqlite3 "$store" "PRAGMA integrity_check" | grep -qx ok || fail "store integrity check failed"
ls out/demo/.hotspots.gpkg.tmp-* >/dev/null 2>&1 && fail "a temporary GeoPackage was left behind"
pass "SIGTERM mid-run: exit 143, previous output byte-identical, store intact"

# 2. Two runs at once: the second exits with code 5 and says why.
"$HOTSPOT" run --no-progress 2>first.log >/dev/null &
pid=$!
wait_for "hotspot: ingest:" first.log || { kill -9 $pid; fail "the first run never started"; }
run_rc "$HOTSPOT" run -q 2>second.log
[ "$RC" -eq 5 ] || fail "a second run at the same time exited $RC, expected 5"
grep -q "another run of this job is in progress" second.log || fail "message: $(cat second.log)"
set +e; wait $pid; RC=$?; set -e
[ "$RC" -eq 0 ] || fail "the first run exited $RC"
pass "a second run of the same job exits 5 while the first runs; the first completes"
