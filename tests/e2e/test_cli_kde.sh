#!/usr/bin/env bash
# test_cli_kde.sh - `hotspot kde` as a user runs it, outputs read back with GDAL:
#   - the quartic kernel's hand-worked values at cell centres (3/pi/r^2 per m2 at d = 0,
#     (1 - u^2)^2 times that at u = d/r, nothing at d = r), weights, the raw scale, the
#     gaussian's constant, the aligned grid (extent padded by r, or --extent), radius auto
#     (ArcGIS's rule worked by hand on four points);
#   - GeoPackage output: raster kde_<group>, hot areas (hand-counted), their style;
#   - --mask with the real Canterbury wards: nodata outside, points outside counted;
#   - unplaced rows reported; identical rasters at 1, 2 and 4 threads; exit codes 2, 3 and 4.
source "$(dirname "$0")/lib.sh"
fresh_dir
WARDS="$HS_SHARED_DATA_DIR/ons-wards-canterbury-2020-bgc/canterbury_wards_wd20_bgc.gpkg"
POLICE="$HS_SHARED_DATA_DIR/police-uk-kent-street-2024q1/2024-01-kent-street.csv"

# value at a map position (first band), and |a - b| <= tol * max(1, |b|)
at() { gdallocationinfo -valonly -geoloc "$1" "$2" "$3"; }
near() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d;
         m = b < 0 ? -b : b; if (m < 1) m = 1; exit !(d <= t * m) }'; }
expect() { near "$1" "$2" "$3" || fail "$4: got $1, expected $2"; }
calc() { awk "BEGIN { printf \"%.12g\", $1 }"; }

# ---- hand-worked quartic values ------------------------------------------------------------
# Three points on cell centres (cell 10 m), 300 m apart (> 2 r), weights 1, 1, 2; r = 100 m.
# Quartic: K(u) = 3/pi (1 - u^2)^2 per r^2; per km2: * 1e6.
printf 'x,y,harm\n600005,150005,1\n600305,150005,1\n600605,150005,2\n' > pts.csv
run_rc "$HOTSPOT" kde pts.csv -o q.tif --radius 100 --cell 10 -q
[ "$RC" -eq 0 ] || fail "kde exited $RC"
peak=$(calc "3 / (4 * atan2(1, 1)) / 100^2 * 1e6")          # 95.4929658551372
expect "$(at q.tif 600005 150005)" "$peak" 1e-6 "peak on a point"
expect "$(at q.tif 600035 150005)" "$(calc "$peak * (1 - 0.3^2)^2")" 1e-6 "quartic at u = 0.3"
expect "$(at q.tif 600065 150085)" "$(calc "$peak * (1 - (60^2 + 80^2) / 100^2)^2")" 1e-5 \
    "quartic at d = 100 m exactly (counts d < r only)"
[ "$(at q.tif 600105 150005)" = "0" ] || fail "cell at d = r must be 0, got $(at q.tif 600105 150005)"
expect "$(at q.tif 600605 150005)" "$peak" 1e-6 "peak without --weight"
pass "quartic kernel values at cell centres (peak $peak per km2)"

# Grid: points' extent padded by r, widened outwards to whole cells: x 599905..600705 ->
# 599900..600710 (81 cells), y 149905..150105 -> 149900..150110 (21 rows).
gi=$(gdalinfo q.tif)
grep -q "Size is 81, 21" <<<"$gi" || fail "grid size: $(grep 'Size is' <<<"$gi")"
grep -q "Origin = (599900.0*,150110.0*)" <<<"$gi" || fail "origin: $(grep Origin <<<"$gi")"
grep -q 'ID\["EPSG",27700\]' <<<"$gi" || fail "GeoTIFF is not EPSG:27700"
grep -q "NoData Value=-9999" <<<"$gi" || fail "no nodata value"
# The surface integrates to the number of points: sum * (0.01 km)^2 = 3 (Riemann sum).
sum=$(gdalinfo -stats q.tif | sed -n 's/.*STATISTICS_MEAN=//p')
expect "$(calc "$sum * 81 * 21 * 1e-4")" 3 2e-3 "integral of the surface"
pass "aligned grid 81 x 21 from (599900, 150110), integral 3"

run_rc "$HOTSPOT" kde pts.csv -o w.tif --radius 100 --cell 10 --weight harm -q
[ "$RC" -eq 0 ] || fail "kde --weight exited $RC"
expect "$(at w.tif 600605 150005)" "$(calc "2 * $peak")" 1e-6 "weight 2"
run_rc "$HOTSPOT" kde pts.csv -o raw.tif --radius 100 --cell 10 --scale raw -q
expect "$(at raw.tif 600005 150005)" 1 1e-7 "raw scale k(0)"
expect "$(at raw.tif 600035 150005)" "$(calc "(1 - 0.09)^2")" 1e-6 "raw scale k(0.3)"
run_rc "$HOTSPOT" kde pts.csv -o ga.tif --radius 100 --cell 10 --kernel gaussian -q
# Gaussian: exp(-u^2/2) / (2 pi (1 - e^-8)); the point 300 m (3 sd) away adds exp(-4.5) of
# the peak, the one 600 m away (beyond 4 sd) nothing.
expect "$(at ga.tif 600005 150005)" \
    "$(calc "(1 + exp(-4.5)) / (8 * atan2(1, 1) * (1 - exp(-8))) / 100^2 * 1e6")" 1e-5 \
    "gaussian peak"
gg=$(gdalinfo ga.tif | grep "Size is")
[ "$gg" = "Size is 141, 81" ] || fail "gaussian grid must be padded by 4 r: $gg"
run_rc "$HOTSPOT" kde pts.csv -o e.tif --radius 100 --cell 10 --extent 599950,149950,600100.5,150050 -q
ge=$(gdalinfo e.tif)
# x 599950..600100.5 -> 599950..600110 (16); y 149950..150050 -> 149940..150050 (11: the south
# edge lies strictly beyond the extent, as a cell does not own its south edge).
grep -q "Size is 16, 11" <<<"$ge" && grep -q "Origin = (599950.0*,150050.0*)" <<<"$ge" \
    || fail "--extent grid: $(grep -E 'Size is|Origin' <<<"$ge")"
pass "weights, raw scale, gaussian, --extent"

# radius auto, ArcGIS rule by hand: four points on a 100 m square; mean centre in the middle,
# every distance 50 sqrt 2 = SD = Dm; r = 0.9 * min(SD, sqrt(1/ln 2) Dm) * 4^-0.2.
printf 'x,y\n600005,150005\n600105,150005\n600005,150105\n600105,150105\n' > sq.csv
"$HOTSPOT" kde sq.csv -o auto.tif --radius auto --cell 10 2>auto.txt >/dev/null
r=$(calc "0.9 * 50 * sqrt(2) * 4^-0.2")
grep -q "radius auto = $(printf '%.1f' "$r") m" auto.txt || fail "radius auto: $(cat auto.txt)"
expect "$(at auto.tif 600005 150005)" "$(calc "3 / (4 * atan2(1, 1)) / $r^2 * 1e6")" 1e-5 \
    "peak with the automatic radius"
pass "radius auto = $r m printed and used"

# ---- GeoPackage with hot areas -------------------------------------------------------------
# top:N takes the ceil(N% of the non-zero cells) highest; with N tiny, exactly the three peak
# cells (equal top values: points 1 and 2 at 1 each, point 3 at 2 with --weight) ... here
# without weights the three peaks tie, and each is its own area holding one incident.
run_rc "$HOTSPOT" kde pts.csv -o k.gpkg --radius 100 --cell 10 --group test --hot-threshold top:0.01 -q
[ "$RC" -eq 0 ] || fail "kde to gpkg exited $RC"
expect "$(at GPKG:k.gpkg:kde_test 600005 150005)" "$peak" 1e-6 "GeoPackage raster peak"
[ "$(sql1 k.gpkg "SELECT COUNT(*) FROM hotspot_areas")" -eq 3 ] || fail "expected 3 hot areas"
[ "$(sql1 k.gpkg "SELECT SUM(incidents) FROM hotspot_areas")" = "3" ] || fail "hot area incidents"
# PAI = (1 of 3 incidents) / (1 cell of the 81 x 21 study area) = 567.
expect "$(sql1 k.gpkg "SELECT MIN(pai) AS v FROM hotspot_areas")" 567 1e-9 "smallest PAI"
expect "$(sql1 k.gpkg "SELECT MAX(pai) AS v FROM hotspot_areas")" 567 1e-9 "largest PAI"
[ "$(sql1 k.gpkg "SELECT MIN(area_km2) FROM hotspot_areas")" = "0.0001" ] || fail "hot area size"
[ "$(sql1 k.gpkg "SELECT group_name || '/' || method AS v FROM hotspot_areas LIMIT 1")" = "test/top0.01pct" ] \
    || fail "hot area group/method"
[ "$(sql1 k.gpkg "SELECT COUNT(*) AS v FROM layer_styles WHERE f_table_name = 'hotspot_areas' AND useAsDefault")" -eq 1 ] \
    || fail "hotspot_areas has no default style"
/usr/bin/python3 -m osgeo_utils.samples.validate_gpkg k.gpkg || fail "k.gpkg does not validate"
pass "GeoPackage: raster kde_test, 3 hot areas of one cell each, styled, valid"

# ---- mask with the real wards ----------------------------------------------------------------
run_rc "$HOTSPOT" kde "$POLICE" -o m.tif --radius 250 --cell 100 --mask "$WARDS" 2>mask.txt >/dev/null
[ "$RC" -eq 0 ] || fail "kde --mask exited $RC: $(cat mask.txt)"
grep -q "placed point(s) lie outside the --mask polygons" mask.txt || fail "outside points not reported"
grep -q "14466 rows, 14330 placed, 136 could not be placed" mask.txt || fail "unplaced rows: $(head -3 mask.txt)"
grep -q "136 row(s) not placed: no coordinates" mask.txt || fail "reason summary missing"
# Canterbury cathedral is in Westgate ward; the sea north-west of Seasalter (606050, 169050) is
# outside every ward.
[ "$(at m.tif 614950 157850)" != "-9999" ] || fail "city centre must be inside the mask"
[ "$(at m.tif 606050 169050)" = "-9999" ] || fail "the sea must be nodata"
pass "--mask: cells outside the wards nodata, outside points and unplaced rows reported"

# ---- threads --------------------------------------------------------------------------------
"$HOTSPOT" kde "$POLICE" -o t1.tif --radius 200 --cell 25 --threads 1 -q >/dev/null
"$HOTSPOT" kde "$POLICE" -o t2.tif --radius 200 --cell 25 --threads 2 -q >/dev/null
"$HOTSPOT" kde "$POLICE" -o t4.tif --radius 200 --cell 25 --threads 4 -q >/dev/null
for t in 1 2 4; do gdal_translate -q -of ENVI t$t.tif t$t.raw; done
cmp -s t1.raw t2.raw && cmp -s t1.raw t4.raw || fail "1, 2 and 4 threads give different rasters"
pass "1, 2 and 4 threads give identical rasters"

# ---- exit codes -----------------------------------------------------------------------------
bad() { # expected-option-text args...
    local want="$1"; shift
    run_rc "$HOTSPOT" kde "$@" 2>err.txt >/dev/null
    [ "$RC" -eq 2 ] || fail "kde $* exited $RC, expected 2"
    grep -q -- "$want" err.txt || fail "kde $*: message does not name $want: $(cat err.txt)"
}
bad --radius pts.csv -o x.tif --radius -5 --cell 10
bad --radius pts.csv -o x.tif --cell 10
bad --cell pts.csv -o x.tif --radius 100 --cell 0
bad --kernel pts.csv -o x.tif --radius 100 --cell 10 --kernel box
bad --scale pts.csv -o x.tif --radius 100 --cell 10 --scale log
bad --extent pts.csv -o x.tif --radius 100 --cell 10 --extent 5,5,1,1
bad --crs pts.csv -o x.tif --radius 100 --cell 10 --crs EPSG:4326
bad --group pts.csv -o x.tif --radius 100 --cell 10 --group "a b"
bad --hot-threshold pts.csv -o x.gpkg --radius 100 --cell 10 --hot-threshold sd:-1
bad --hot-threshold pts.csv -o x.tif --radius 100 --cell 10 --hot-threshold top:5
bad --weight pts.csv -o x.tif --radius 100 --cell 10 --weight nothere
bad --mask-code pts.csv -o x.tif --radius 100 --cell 10 --mask-code WD20CD
bad "did you mean --radius" pts.csv -o x.tif --radus 100 --cell 10
bad "-o" pts.csv -o x.png --radius 100 --cell 10
bad "--cell" pts.csv -o x.tif --radius 100 --cell 0.0001
run_rc "$HOTSPOT" kde nothere.csv -o x.tif --radius 100 --cell 10 2>err.txt
[ "$RC" -eq 3 ] || fail "missing input exited $RC"
grep -q "nothere.csv" err.txt || fail "missing input message: $(cat err.txt)"
printf 'x,y\nabc,def\n' > nopoint.csv
run_rc "$HOTSPOT" kde nopoint.csv -o x.tif --radius 100 --cell 10 2>err.txt
[ "$RC" -eq 3 ] || fail "no placeable row exited $RC"
run_rc "$HOTSPOT" kde pts.csv -o /proc/hotspot/x.tif --radius 100 --cell 10 2>err.txt
[ "$RC" -eq 4 ] || fail "unwritable output exited $RC: $(cat err.txt)"
# A CSV of blank lines reserves no row for them: 8M blank lines and one point read within a
# 600 MB address space (before, the reader reserved a row per line: 1.2 GB, "out of memory").
# AddressSanitizer maps terabytes of shadow memory, so that build cannot run under a limit.
if { [ -n "${ASAN_OPTIONS:-}" ] || ldd "$HOTSPOT" | grep -q libasan; }; then
    pass "(blank-line address-space check left to the build without AddressSanitizer)"
else
    { echo "x,y"; head -c 8000000 /dev/zero | tr '\0' '\n'; echo "600005,150005"; } >blank.csv
    RC=0; ( ulimit -v 600000; "$HOTSPOT" kde blank.csv -o blank.tif --radius 100 --cell 10 -q \
        >/dev/null 2>err.txt ) || RC=$?
    [ "$RC" -eq 0 ] || fail "8M blank lines under a 600 MB limit exited $RC: $(cat err.txt)"
    expect "$(at blank.tif 600005 150005)" "$peak" 1e-6 "the one point after 8M blank lines"
    pass "8M blank lines read within a 600 MB address space"
fi
# Running out of memory names the file (the same read under a limit too small for it).
if ! { [ -n "${ASAN_OPTIONS:-}" ] || ldd "$HOTSPOT" | grep -q libasan; }; then
    RC=0; ( ulimit -v 200000; "$HOTSPOT" kde blank.csv -o blank2.tif --radius 100 --cell 10 -q \
        >/dev/null 2>err.txt ) || RC=$?
    if [ "$RC" -ne 0 ]; then
        grep -q "blank.csv: out of memory" err.txt || fail "out of memory without the file: $(cat err.txt)"
        pass "out of memory names the file"
    else
        pass "(the read fitted in 200 MB on this machine: the out-of-memory message was not reached)"
    fi
fi

run_rc "$HOTSPOT" kde --help >help.txt
[ "$RC" -eq 0 ] && grep -q -- "--hot-threshold" help.txt || fail "kde --help"
pass "exit codes 2 (each bad option named), 3 and 4; --help"
