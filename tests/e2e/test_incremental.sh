#!/usr/bin/env bash
# test_incremental.sh - issue #7: the nightly job is idempotent and incremental. Running the
# demo job twice gives the same layers; adding a new month and running again reads it as the
# only new rows (run_info shows new vs known rows) and the result equals a fresh run over all
# months.
source "$(dirname "$0")/lib.sh"
fresh_dir
mkdir -p data/demo
cp "$HS_SOURCE_DIR/data/demo/job.ini" data/demo/job.ini
run_rc "$HOTSPOT" run -q >/dev/null          # generates the demo inputs, first full run
[ "$RC" -eq 0 ] || fail "first run exited $RC"
out=out/demo/hotspots.gpkg
layers="incidents wards wards_asb wards_violence grid_asb grid_violence hotspot_areas patrol_areas geocode_failures"
snapshot() { for l in $layers; do dump_layer "$out" "$l" > "$1_$l.csv"; done
             for g in asb violence; do gdal_translate -q -of AAIGrid "GPKG:$out:kde_$g" "$1_kde_$g.asc"; done; }
same() { for l in $layers; do cmp -s "$1_$l.csv" "$2_$l.csv" || fail "$3: layer $l differs"; done
         for g in asb violence; do cmp -s "$1_kde_$g.asc" "$2_kde_$g.asc" || fail "$3: kde_$g differs"; done; }
info() { sql1 "$out" "SELECT value FROM run_info WHERE key = '$1'"; }

snapshot run1
run_rc "$HOTSPOT" run -q >/dev/null
[ "$RC" -eq 0 ] || fail "second run exited $RC"
snapshot run2
same run1 run2 "run twice"
[ "$(info store.rows_new)" -eq 0 ] || fail "the second run found $(info store.rows_new) new rows"
[ "$(info geocode.attempted)" -eq 0 ] || fail "the second run geocoded $(info geocode.attempted) rows"
pass "running the demo job twice gives the same layers and geocodes nothing"

# A job over months 1-11, then month 12 arrives.
mkdir -p later && mv data/demo/generated/incidents/2025-12-demo-street.csv later/
rm -f out/demo/hotspots.gpkg*
run_rc "$HOTSPOT" run -q >/dev/null
[ "$RC" -eq 0 ] || fail "run over 11 months exited $RC"
mv later/2025-12-demo-street.csv data/demo/generated/incidents/
dec_rows=$(($(wc -l < data/demo/generated/incidents/2025-12-demo-street.csv) - 1))
run_rc "$HOTSPOT" run -q >/dev/null
[ "$RC" -eq 0 ] || fail "run with the new month exited $RC"
new=$(info store.rows_new); known=$(info store.rows_known)
[ "$new" -eq "$dec_rows" ] || fail "new rows $new, the new month has $dec_rows"
[ $((new + known)) -eq "$(info store.rows_read)" ] || fail "new + known != rows read"
attempted=$(info geocode.attempted)
dec_text=$(awk -F, 'NR > 1 && $5 == ""' data/demo/generated/incidents/2025-12-demo-street.csv | wc -l)
[ "$attempted" -le "$dec_text" ] || fail "geocoded $attempted rows, the new month has only $dec_text without coordinates"
snapshot incremental
pass "the new month: $new new rows, $known known, $attempted geocoded by text"

# A fresh run over all months (no store) gives the same layers.
rm -f out/demo/hotspots.gpkg*
run_rc "$HOTSPOT" run -q >/dev/null
[ "$RC" -eq 0 ] || fail "fresh run exited $RC"
snapshot fresh
same incremental fresh "incremental vs fresh"
pass "the incremental result equals a fresh run over all months"

# window_months: only the latest 3 months are analysed.
sed 's/^min_hit_rate = .*/&\nwindow_months = 3/' data/demo/job.ini > data/demo/window.ini
run_rc "$HOTSPOT" run data/demo/window.ini -q >/dev/null
[ "$RC" -eq 0 ] || fail "window run exited $RC"
first=$(sql1 "$out" "SELECT MIN(month) FROM incidents")
[ "$first" = "2025-10" ] || fail "window_months = 3 analysed from $first, expected 2025-10"
[ "$(info window.first_month)" = "2025-10" ] || fail "run_info window.first_month $(info window.first_month)"
pass "window_months = 3 analyses 2025-10 to 2025-12"
