#!/usr/bin/env bash
# test_demo.sh - the README's first command as a user runs it: `hotspot run` on the demo job
# (inputs generated on first use), then the output read back with GDAL: layers in
# EPSG:27700, every incident in a ward, ward counts adding up, every row accounted for,
# identical layers at 1 and 2 threads, and the documented exit codes.
source "$(dirname "$0")/lib.sh"
fresh_dir
mkdir -p data/demo
cp "$HS_SOURCE_DIR/data/demo/job.ini" data/demo/job.ini

run_rc "$HOTSPOT" run --threads 1 --no-progress
[ "$RC" -eq 0 ] || fail "hotspot run exited $RC"
out=out/demo/hotspots.gpkg
[ -f "$out" ] || fail "no $out"
[ -f data/demo/generated/COMPLETE ] || fail "demo inputs were not generated"
pass "demo job ran"

info=$(ogrinfo -ro -so "$out")
vector_layers="incidents wards wards_asb wards_violence grid_asb grid_violence hotspot_areas patrol_areas"
for layer in $vector_layers geocode_failures run_info layer_styles; do
  grep -q "^[0-9]*: $layer " <<<"$info" || fail "layer $layer missing"
done
for layer in $vector_layers; do
  ogrinfo -ro -so "$out" "$layer" | grep -q 'ID\["EPSG",27700\]' || fail "$layer is not EPSG:27700"
done
for group in asb violence; do
  gdalinfo "GPKG:$out:kde_$group" | grep -q 'ID\["EPSG",27700\]' || fail "kde_$group is not EPSG:27700"
  gdalinfo "GPKG:$out:kde_$group" | grep -q 'Type=Float32' || fail "kde_$group is not Float32"
done
[ -f out/demo/hotspots.qgs ] || fail "no QGIS project beside the GeoPackage"
/usr/bin/python3 -m osgeo_utils.samples.validate_gpkg --extra "$out" || fail "GDAL's validator rejects $out"
pass "layers present in EPSG:27700, rasters Float32, project written, GeoPackage valid"

n_inc=$(sql1 "$out" "SELECT COUNT(*) FROM incidents")
n_noward=$(sql1 "$out" "SELECT COUNT(*) FROM incidents WHERE ward_code IS NULL")
sum_wards=$(sql1 "$out" "SELECT SUM(n_all) FROM wards")
placed=$(sql1 "$out" "SELECT value FROM run_info WHERE key = 'rows_placed'")
rows_in=$(sql1 "$out" "SELECT value FROM run_info WHERE key = 'rows_in'")
failed=$(sql1 "$out" "SELECT value FROM run_info WHERE key = 'rows_failed'")
outside=$(sql1 "$out" "SELECT value FROM run_info WHERE key = 'rows_outside_study_area'")
n_fail=$(sql1 "$out" "SELECT COUNT(*) FROM geocode_failures")
n_noreason=$(sql1 "$out" "SELECT COUNT(*) FROM geocode_failures WHERE reason IS NULL OR reason = ''")
[ "$n_inc" -gt 15000 ] || fail "only $n_inc incidents"
[ "$n_noward" -eq 0 ] || fail "$n_noward incidents without a ward code"
[ "$sum_wards" -eq "$n_inc" ] || fail "ward counts add up to $sum_wards, incidents $n_inc"
[ "$placed" -eq "$n_inc" ] || fail "run_info rows_placed $placed != incidents $n_inc"
[ "$n_fail" -eq "$failed" ] || fail "geocode_failures has $n_fail rows, run_info says $failed"
[ "$n_noreason" -eq 0 ] || fail "$n_noreason failures without a reason"
[ $((placed + failed + outside)) -eq "$rows_in" ] || fail "rows: $placed + $failed + $outside != $rows_in"
[ "$outside" -gt 0 ] || fail "the demo has rows outside the district, none counted"
# Group counts: asb + violence are a subset of all.
asb=$(sql1 "$out" "SELECT SUM(n_asb) FROM wards")
vio=$(sql1 "$out" "SELECT SUM(n_violence) FROM wards")
asb_inc=$(sql1 "$out" "SELECT COUNT(*) FROM incidents WHERE group_name = 'asb'")
[ "$asb" -eq "$asb_inc" ] || fail "n_asb sums to $asb, incidents say $asb_inc"
[ $((asb + vio)) -le "$n_inc" ] || fail "group counts exceed all"
pass "counts: $rows_in rows = $placed placed + $failed failed + $outside outside"

# Every layer opens styled in QGIS (headless), and the project shows them all.
QT_QPA_PLATFORM=offscreen /usr/bin/python3 "$HS_SOURCE_DIR/tests/qgis/check_styles.py" "$out" >qgis.txt 2>&1 ||
  fail "QGIS check: $(cat qgis.txt)"
pass "QGIS opens every layer with its default style"

# Same job at 2 threads: identical layer contents and rasters.
layers="incidents wards wards_asb wards_violence grid_asb grid_violence hotspot_areas patrol_areas geocode_failures"
dump_rasters() { for g in asb violence; do gdal_translate -q -of AAIGrid "GPKG:$out:kde_$g" "$1_kde_$g.asc"; done; }
for layer in $layers; do dump_layer "$out" "$layer" > "t1_$layer.csv"; done
dump_rasters t1
run_rc "$HOTSPOT" run --threads 2 --no-progress -q
[ "$RC" -eq 0 ] || fail "second run exited $RC"
for layer in $layers; do
  dump_layer "$out" "$layer" > "t2_$layer.csv"
  cmp -s "t1_$layer.csv" "t2_$layer.csv" || fail "layer $layer differs between 1 and 2 threads"
done
dump_rasters t2
for g in asb violence; do
  cmp -s "t1_kde_$g.asc" "t2_kde_$g.asc" || fail "raster kde_$g differs between 1 and 2 threads"
done
pass "1 and 2 threads give identical layers and rasters"

# Exit codes of DESIGN.md.
run_rc "$HOTSPOT" --help >/dev/null;        [ "$RC" -eq 0 ] || fail "--help exited $RC"
run_rc "$HOTSPOT" --version >/dev/null;     [ "$RC" -eq 0 ] || fail "--version exited $RC"
run_rc "$HOTSPOT" run --help >/dev/null;    [ "$RC" -eq 0 ] || fail "run --help exited $RC"
run_rc "$HOTSPOT" frobnicate 2>/dev/null;   [ "$RC" -eq 2 ] || fail "unknown command exited $RC"
printf '[incidents]\npath = nothing/*.csv\n[wards]\npath = data/demo/generated/wards.gpkg\ncode = ward_code\n' > nomatch.ini
run_rc "$HOTSPOT" run nomatch.ini 2>err.txt; [ "$RC" -eq 3 ] || fail "missing input exited $RC"
grep -q "matches no file" err.txt || fail "missing input message: $(cat err.txt)"
printf '[kde]\nradus = 3\n' > bad.ini
run_rc "$HOTSPOT" run bad.ini 2>err.txt;    [ "$RC" -eq 2 ] || fail "bad job exited $RC"
grep -q "bad.ini: line 2: .*did you mean 'radius'" err.txt || fail "bad job message: $(cat err.txt)"
# A minimum hit rate the data cannot meet: output written, exit 6.
sed -e 's/^min_hit_rate = .*/min_hit_rate = 0.999/' -e 's#^output = .*#output = strict.gpkg#' \
    data/demo/job.ini > data/demo/strict.ini
run_rc "$HOTSPOT" run data/demo/strict.ini -q 2>err.txt
[ "$RC" -eq 6 ] || fail "low hit rate exited $RC"
[ -f data/demo/strict.gpkg ] || fail "exit 6 must still write the output"
pass "exit codes 0, 2, 3, 6"
