#!/usr/bin/env bash
# test_real_job.sh - the nightly job on the real open data of ../shared/data: Kent police.uk
# files (Jan-Mar 2024), the 21 Canterbury wards with their population, a gazetteer built
# from OS Code-Point Open, OS Open Names and the police files' snap points. The output must
# pass GDAL's GeoPackage validator and open styled in QGIS; every row is accounted for.
source "$(dirname "$0")/lib.sh"
: "${HS_SHARED_DATA_DIR:?}"
fresh_dir
D=$HS_SHARED_DATA_DIR
police=$D/police-uk-kent-street-2024q1
/usr/bin/python3 "$(dirname "$0")/py/join_population.py" \
  "$D/ons-wards-canterbury-2020-bgc/canterbury_wards_wd20_bgc.gpkg" WD20CD \
  "$D/ons-lsoa21-population-mid2022/canterbury_ward_population_mid2022_derived.csv" \
  WD20CD population_mid2022 wards.gpkg

run_rc "$HOTSPOT" gazetteer build -o gazetteer.sqlite -q \
  --postcodes "$D/os-codepoint-open-ct-2014/ct.csv" --streets "$D/os-open-names-tr06/TR06.csv" \
  --snap-points "$police/2024-01-kent-street.csv" --snap-points "$police/2024-02-kent-street.csv" \
  --snap-points "$police/2024-03-kent-street.csv"
[ "$RC" -eq 0 ] || fail "gazetteer build exited $RC"

cat > canterbury.ini <<INI
[job]
name = canterbury
output = out/hotspots.gpkg
[incidents]
path = $police/2024-0*-kent-street.csv
[gazetteer]
path = gazetteer.sqlite
[wards]
path = wards.gpkg
layer = wards
code = WD20CD
name = WD20NM
population = population
[group.asb]
categories = Anti-social behaviour
[group.violence]
categories = Violence and sexual offences; Possession of weapons; Robbery; Public order
[gistar]
value = rate
INI
run_rc "$HOTSPOT" run canterbury.ini --no-progress 2>run.log
[ "$RC" -eq 0 ] || fail "hotspot run exited $RC: $(tail -5 run.log)"
out=out/hotspots.gpkg
/usr/bin/python3 -m osgeo_utils.samples.validate_gpkg --extra "$out" || fail "GDAL's validator rejects $out"
pass "real-data output is a valid GeoPackage"
QT_QPA_PLATFORM=offscreen /usr/bin/python3 "$HS_SOURCE_DIR/tests/qgis/check_styles.py" "$out" >qgis.txt 2>&1 ||
  fail "QGIS check: $(cat qgis.txt)"
pass "QGIS opens every layer of the real-data output with its default style"

rows_in=$(sql1 "$out" "SELECT value FROM run_info WHERE key = 'rows_in'")
placed=$(sql1 "$out" "SELECT value FROM run_info WHERE key = 'rows_placed'")
failed=$(sql1 "$out" "SELECT value FROM run_info WHERE key = 'rows_failed'")
outside=$(sql1 "$out" "SELECT value FROM run_info WHERE key = 'rows_outside_study_area'")
[ "$rows_in" -eq 44294 ] || fail "rows_in $rows_in"
[ $((placed + failed + outside)) -eq "$rows_in" ] || fail "rows not accounted for"
[ "$placed" -eq "$(sql1 "$out" "SELECT COUNT(*) FROM incidents")" ] || fail "incidents != rows_placed"
[ "$placed" -eq "$(sql1 "$out" "SELECT SUM(n_all) FROM wards")" ] || fail "ward counts != rows_placed"
rates=$(sql1 "$out" "SELECT COUNT(*) FROM wards_violence WHERE rate_per_1000 > 0")
[ "$rates" -eq 21 ] || fail "rates per 1,000 in $rates wards, expected 21"
pass "rows: $rows_in = $placed placed + $failed failed + $outside outside; rates in every ward"
