#!/usr/bin/env bash
# test_real_wards.sh - issue #3 on real data: the three police.uk files of Kent (Jan-Mar
# 2024) through `hotspot geocode` with the 21 real Canterbury wards; every row accounted for;
# counts per ward equal an independent computation with GDAL's Python bindings (osr + OGR
# point-in-polygon, no hotspot code) exactly.
source "$(dirname "$0")/lib.sh"
: "${HS_SHARED_DATA_DIR:?}"
fresh_dir
police=$HS_SHARED_DATA_DIR/police-uk-kent-street-2024q1
wards=$HS_SHARED_DATA_DIR/ons-wards-canterbury-2020-bgc/canterbury_wards_wd20_bgc.gpkg
files=("$police"/2024-0[123]-kent-street.csv)

run_rc "$HOTSPOT" geocode "${files[@]}" -o out.gpkg --wards "$wards" --ward-code WD20CD -q >summary.tsv
[ "$RC" -eq 0 ] || fail "hotspot geocode exited $RC"
rows_in=$(sql1 out.gpkg "SELECT value FROM run_info WHERE key = 'rows_in'")
placed=$(sql1 out.gpkg "SELECT value FROM run_info WHERE key = 'rows_placed'")
failed=$(sql1 out.gpkg "SELECT value FROM run_info WHERE key = 'rows_failed'")
outside=$(sql1 out.gpkg "SELECT value FROM run_info WHERE key = 'rows_outside_study_area'")
[ "$rows_in" -eq 44294 ] || fail "rows_in $rows_in, the data's README says 44,294"
[ $((placed + failed + outside)) -eq "$rows_in" ] || fail "rows not accounted: $placed + $failed + $outside != $rows_in"
nl=$(sql1 out.gpkg "SELECT COUNT(*) FROM geocode_failures WHERE reason = 'no location'")
[ "$nl" -eq $((136 + 110 + 162)) ] || fail "$nl 'no location' failures, README says 408"
[ "$failed" -eq 408 ] || fail "$failed failures, only the 408 No Location rows expected"
pass "44,294 rows: $placed in Canterbury wards, $failed failed (No Location), $outside outside"

ogrinfo -ro -q -sql "SELECT ward_code, COUNT(*) AS n FROM incidents GROUP BY ward_code ORDER BY ward_code" out.gpkg |
  awk '/ward_code \(String\)/ {c=$4} / n \(Integer\)/ {print c "\t" $4}' > ours.tsv
/usr/bin/python3 "$(dirname "$0")/py/count_wards.py" "$wards" WD20CD "${files[@]}" > theirs.tsv
grep -v '^#' theirs.tsv | awk '$2 > 0' > theirs_nonzero.tsv
diff ours.tsv theirs_nonzero.tsv > diff.txt || fail "per-ward counts differ from GDAL/Python: $(cat diff.txt)"
border=$(awk '$1 == "#border" {print $2}' theirs.tsv)
n=$(wc -l < ours.tsv)
[ "$n" -eq 21 ] || fail "incidents in $n wards, expected 21"
pass "counts in all 21 wards equal the independent GDAL/Python computation ($border points on borders)"
