#!/usr/bin/env bash
# test_cli_grid.sh - `hotspot grid` as a user runs it, outputs read back with GDAL:
#   - four points: the cell counts, cell squares and one z worked by hand; --category;
#   - three months of real police.uk rows over the real Canterbury wards: every point inside
#     the wards accounted for (3862, as R sf counts them in tests/fixtures/spdep/grid_meta.csv:
#     in the written cells, or reported as lying in edge cells whose centre is outside),
#     exactly the cells whose centre lies in a ward written (GDAL/GEOS in Python counts
#     them), z equal to R spdep localG on the written cells to 1e-9, the layer styled;
#   - --band auto: ten bands printed and the first peak of Moran's I z chosen;
#   - identical layers at 1, 2 and 4 threads; exit codes 2 and 3.
source "$(dirname "$0")/lib.sh"
fresh_dir
WARDS="$HS_SHARED_DATA_DIR/ons-wards-canterbury-2020-bgc/canterbury_wards_wd20_bgc.gpkg"
POLICE_DIR="$HS_SHARED_DATA_DIR/police-uk-kent-street-2024q1"

# ---- four points, by hand ------------------------------------------------------------------
# Extent 600050..600250 x 150050..150150, 100 m cells -> 3 x 2 cells from (600000, 150200).
# Row 0 (north): cell 2 holds (600250, 150150). Row 1: cell 3 holds two points, cell 4 one.
printf 'x,y,category\n600050,150050,a\n600060,150070,a\n600150,150050,b\n600250,150150,a\n' > four.csv
run_rc "$HOTSPOT" grid four.csv -o four.gpkg --cell 100 --band 150 -q
[ "$RC" -eq 0 ] || fail "grid exited $RC"
counts=$(ogr2ogr -f CSV -lco STRING_QUOTING=IF_NEEDED /vsistdout/ four.gpkg -sql "SELECT cell_id, n FROM grid_all ORDER BY cell_id" | tail -n +2 | tr '\n' ' ')
[ "$counts" = "0,0 1,0 2,1 3,2 4,1 5,0 " ] || fail "cell counts: $counts"
box=$(ogr2ogr -f CSV -lco STRING_QUOTING=IF_NEEDED /vsistdout/ four.gpkg -sql "SELECT ST_MinX(geom), ST_MinY(geom), ST_MaxX(geom), ST_MaxY(geom) FROM grid_all WHERE cell_id = 4" | tail -n 1)
[ "$box" = "600100,150000,600200,150100" ] || fail "cell 4 square: $box"
# Cell 0: itself and cells 1, 3, 4 within 150 m (141 m diagonal); values 0 0 2 1, sum 3.
# n = 6, mean 2/3, S^2 = 6/6 - 4/9 = 5/9; W = S1 = 4; z = (3 - 4 * 2/3) / (S sqrt((24 - 16)/5)).
z0=$(sql1 four.gpkg "SELECT GiZScore AS v FROM grid_all WHERE cell_id = 0")
awk -v z="$z0" 'BEGIN { w = (3 - 8 / 3) / (sqrt(5 / 9) * sqrt(8 / 5)); d = z - w;
     exit !(d < 1e-12 && d > -1e-12) }' || fail "z of cell 0: $z0"
[ "$(sql1 four.gpkg "SELECT NNeighbors AS v FROM grid_all WHERE cell_id = 0")" -eq 3 ] \
    || fail "NNeighbors of cell 0"
run_rc "$HOTSPOT" grid four.csv -o cat.gpkg --cell 100 --band 150 --category A --group a -q
[ "$RC" -eq 0 ] || fail "grid --category exited $RC"
counts=$(ogr2ogr -f CSV -lco STRING_QUOTING=IF_NEEDED /vsistdout/ cat.gpkg -sql "SELECT cell_id, n FROM grid_a ORDER BY cell_id" | tail -n +2 | tr '\n' ' ')
[ "$counts" = "0,0 1,0 2,1 3,2 4,0 5,0 " ] || fail "--category counts: $counts"
pass "four points: counts, cell squares, hand-worked z = $z0, --category (case-insensitive)"

# ---- real data over the real wards ----------------------------------------------------------
{ head -n 1 "$POLICE_DIR/2024-01-kent-street.csv"
  for m in 01 02 03; do tail -n +2 "$POLICE_DIR/2024-$m-kent-street.csv"; done; } > q1.csv
run_rc "$HOTSPOT" grid q1.csv -o real.gpkg --cell 200 --band 300 --wards "$WARDS" 2>real.txt >/dev/null
[ "$RC" -eq 0 ] || fail "grid on real data exited $RC: $(cat real.txt)"
want=$(awk -F, 'NR == 2 { print $7 }' "$HS_SOURCE_DIR/tests/fixtures/spdep/grid_meta.csv")
total=$(sql1 real.gpkg "SELECT SUM(n) AS v FROM grid_all")
edge=$(sed -n 's/.*grid: \([0-9]*\) point(s) inside the wards lie in edge cells.*/\1/p' real.txt)
grep -q "grid: $want points in " real.txt || fail "points in the wards: $(grep 'points in' real.txt), R sf counts $want"
[ $((total + edge)) -eq "$want" ] || fail "cells hold $total points and $edge are reported in edge cells; R sf counts $want in the wards"
/usr/bin/python3 - "$WARDS" real.gpkg <<'EOF' || fail "cells written are not those whose centre is in a ward"
import sys
from osgeo import ogr
wards_ds = ogr.Open(sys.argv[1])
wards = [f.GetGeometryRef().MakeValid() for f in wards_ds.GetLayer(0)]
union = wards[0]
for g in wards[1:]:
    union = union.Union(g)
out_ds = ogr.Open(sys.argv[2])
out = out_ds.GetLayerByName("grid_all")
written = {f.GetField("cell_id") for f in out}
# Rebuild the fishnet from its first cell and count the centres inside the wards.
xmin, xmax, ymin, ymax = union.GetEnvelope()
cell = 200.0
import math
x0 = math.floor(xmin / cell) * cell
y1 = math.ceil(ymax / cell) * cell
nx = int(round(((math.floor(xmax / cell) + 1) * cell - x0) / cell))
ny = int(round((y1 - (math.ceil(ymin / cell) - 1) * cell) / cell))
inside = set()
for r in range(ny):
    for c in range(nx):
        p = ogr.Geometry(ogr.wkbPoint)
        p.AddPoint_2D(x0 + (c + 0.5) * cell, y1 - (r + 0.5) * cell)
        if union.Intersects(p):
            inside.add(r * nx + c)
if inside != written:
    sys.exit("written %d cells, %d centres inside; %d differ" % (len(written), len(inside), len(inside ^ written)))
EOF
ncells=$(sql1 real.gpkg "SELECT COUNT(*) AS v FROM grid_all")
pass "real data: $total points in $ncells cells, exactly the cells whose centre is in a ward"

# z against R spdep on the written cells (dnearneigh 0..300 m, include.self, binary): the
# expected values were made by tests/fixtures/spdep/make_cli_grid.R from the same cells (the
# test does not need R). Every written cell must be in the fixture with the same count.
ogr2ogr -f CSV cells.csv real.gpkg -dialect SQLite \
    -sql "SELECT cell_id, n, ST_X(ST_Centroid(geom)) AS x, ST_Y(ST_Centroid(geom)) AS y, GiZScore FROM grid_all"
/usr/bin/python3 - cells.csv "$HS_SOURCE_DIR/tests/fixtures/spdep/cli_grid_300m.csv" <<'EOF' || fail "grid z differs from spdep"
import csv, sys
got = {int(r["cell_id"]): r for r in csv.DictReader(open(sys.argv[1]))}
want = {int(r["cell_id"]): r for r in csv.DictReader(open(sys.argv[2]))}
if got.keys() != want.keys():
    sys.exit("cells: %d written, %d in the spdep fixture, %d differ" % (len(got), len(want), len(got.keys() ^ want.keys())))
worst = 0.0
for c, w in want.items():
    if int(got[c]["n"]) != int(w["n"]):
        sys.exit("cell %d: n = %s, fixture %s" % (c, got[c]["n"], w["n"]))
    worst = max(worst, abs(float(got[c]["GiZScore"]) - float(w["z"])))
print("max |z - spdep| = %.3g over %d cells" % (worst, len(want)))
sys.exit(0 if worst <= 1e-9 else 1)
EOF
[ "$(sql1 real.gpkg "SELECT COUNT(*) AS v FROM layer_styles WHERE f_table_name = 'grid_all' AND styleQML LIKE '%Gi_Bin%' AND useAsDefault")" -eq 1 ] \
    || fail "grid_all has no default Gi* style"
/usr/bin/python3 -m osgeo_utils.samples.validate_gpkg real.gpkg || fail "real.gpkg does not validate"
pass "grid z = spdep localG on the written cells; styled; valid GeoPackage"

# ---- --band auto ------------------------------------------------------------------------------
run_rc "$HOTSPOT" grid q1.csv -o auto.gpkg --cell 200 --band auto --wards "$WARDS" --group asb \
    --category "Anti-social behaviour" 2>auto.txt >/dev/null
[ "$RC" -eq 0 ] || fail "--band auto exited $RC: $(cat auto.txt)"
bands=$(grep -c "grid: band .* m: Moran's I" auto.txt)
[ "$bands" -eq 10 ] || fail "expected 10 bands printed, got $bands"
chosen=$(sed -n 's/.*band auto = \([0-9.]*\) m.*/\1/p' auto.txt)
# First peak: z >= 1.96, above the band before, not below the band after (else the largest z).
rule=$(awk '/grid: band .* m: Moran/ { sub(/.*band */, ""); b[n] = $1 + 0; z[n] = $NF; if ($NF == "chosen") z[n] = $(NF-2); n++ }
     END { pick = -1
           for (i = 0; i < n && pick < 0; i++)
               if (z[i] >= 1.96 && (i == 0 || z[i] > z[i-1]) && (i == n - 1 || z[i] >= z[i+1])) pick = i
           if (pick < 0) { pick = 0; for (i = 1; i < n; i++) if (z[i] > z[pick]) pick = i }
           printf "%.1f", b[pick] }' auto.txt)
[ "$chosen" = "$rule" ] || fail "band auto chose $chosen m, the first-peak rule on the printed table gives $rule m"
grep -q "Gi\* of asb .* distance band $chosen" <(ogrinfo -ro -so auto.gpkg grid_asb) \
    || fail "layer description does not give the band"
pass "--band auto: 10 bands printed, first peak $chosen m chosen and used"

# ---- threads ------------------------------------------------------------------------------------
"$HOTSPOT" grid q1.csv -o t1.gpkg --cell 200 --band 400 --wards "$WARDS" --threads 1 -q >/dev/null
"$HOTSPOT" grid q1.csv -o t2.gpkg --cell 200 --band 400 --wards "$WARDS" --threads 2 -q >/dev/null
"$HOTSPOT" grid q1.csv -o t4.gpkg --cell 200 --band 400 --wards "$WARDS" --threads 4 -q >/dev/null
dump_layer t1.gpkg grid_all > t1.txt
cmp -s t1.txt <(dump_layer t2.gpkg grid_all) && cmp -s t1.txt <(dump_layer t4.gpkg grid_all) \
    || fail "1, 2 and 4 threads give different layers"
pass "1, 2 and 4 threads give identical layers"

# ---- exit codes -----------------------------------------------------------------------------
bad() { # expected-text args...
    local want="$1"; shift
    run_rc "$HOTSPOT" grid "$@" 2>err.txt >/dev/null
    [ "$RC" -eq 2 ] || fail "grid $* exited $RC, expected 2"
    grep -q -- "$want" err.txt || fail "grid $*: message does not name $want: $(cat err.txt)"
}
bad --cell four.csv -o x.gpkg --band 150
bad --cell four.csv -o x.gpkg --cell -1 --band 150
bad --band four.csv -o x.gpkg --cell 100
bad --band four.csv -o x.gpkg --cell 100 --band 50
bad --band four.csv -o x.gpkg --cell 100 --band far
bad --group four.csv -o x.gpkg --cell 100 --band 150 --group "x-y"
bad --wards-code four.csv -o x.gpkg --cell 100 --band 150 --wards-code CODE
bad --category-field four.csv -o x.gpkg --cell 100 --band 150 --category-field type
bad --permutations four.csv -o x.gpkg --cell 100 --band 150 --permutations -1
bad --crs four.csv -o x.gpkg --cell 100 --band 150 --crs nonsense
bad "-o" four.csv -o x.tif --cell 100 --band 150
bad "did you mean --band" four.csv -o x.gpkg --cell 100 --bnad 150
bad "--cell" four.csv -o x.gpkg --cell 0.00001 --band 150
run_rc "$HOTSPOT" grid nothere.csv -o x.gpkg --cell 100 --band 150 2>err.txt
[ "$RC" -eq 3 ] && grep -q nothere.csv err.txt || fail "missing input exited $RC: $(cat err.txt)"
run_rc "$HOTSPOT" grid four.csv -o x.gpkg --cell 100 --band 150 --category nothing 2>err.txt
[ "$RC" -eq 3 ] || fail "no point left exited $RC: $(cat err.txt)"
run_rc "$HOTSPOT" grid four.csv -o x.gpkg --cell 100 --band 150 --wards nothere.gpkg 2>err.txt
[ "$RC" -eq 3 ] && grep -q nothere.gpkg err.txt || fail "missing wards exited $RC: $(cat err.txt)"
pass "exit codes 2 (each bad option named) and 3"
