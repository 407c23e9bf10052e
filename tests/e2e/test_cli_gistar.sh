#!/usr/bin/env bash
# test_cli_gistar.sh - `hotspot gistar` against R spdep and hand-worked cases:
#   - the real Canterbury wards with the counts of tests/fixtures/spdep/wards_gistar.csv joined
#     as a field (a GeoPackage made here with ogr2ogr): queen z equal to spdep localG to 1e-9
#     (1 m snap and exact poly2nb topology), Moran's I equal to spdep moran.test;
#   - the spdep grid fixture as a CSV of cell centres: distance:300 z equal to spdep to 1e-9;
#   - GiPValue = erfc(|z|/sqrt 2), GiQValue = BH of GiPValue and Gi_Bin checked by Python;
#   - a hand-worked line of points with an island (NULL statistics, NNeighbors 0);
#   - rates per 1,000, permutations (GiPseudoP, same bytes at 1, 2 and 4 threads), GeoPackage
#     output (input geometries, layer name, style);
#   - bad values name the unit; exit codes 2 and 3.
source "$(dirname "$0")/lib.sh"
fresh_dir
WARDS="$HS_SHARED_DATA_DIR/ons-wards-canterbury-2020-bgc/canterbury_wards_wd20_bgc.gpkg"
FIX="$HS_SOURCE_DIR/tests/fixtures/spdep"
PY=/usr/bin/python3

# max |a - b| over the ids both CSVs share: file_a id_col col_a file_b id_col col_b
maxdiff() {
    $PY - "$@" <<'EOF'
import csv, sys
fa, ia, ca, fb, ib, cb = sys.argv[1:7]
a = {r[ia]: float(r[ca]) for r in csv.DictReader(open(fa))}
b = {r[ib]: float(r[cb]) for r in csv.DictReader(open(fb))}
if set(a) != set(b):
    sys.exit("ids differ: %d vs %d" % (len(a), len(b)))
print("%.3g" % max(abs(a[k] - b[k]) for k in a))
EOF
}
within() { awk -v d="$1" -v t="$2" 'BEGIN { exit !(d <= t) }'; }

# ---- the real wards with the spdep counts joined ---------------------------------------------
ogr2ogr -f GPKG join.gpkg "$WARDS" wards
ogr2ogr -update join.gpkg "$FIX/wards_gistar.csv" -nln counts -oo AUTODETECT_TYPE=YES
ogr2ogr -f GPKG wards.gpkg join.gpkg -nln wards -dialect SQLite \
    -sql "SELECT w.geom, w.WD20CD, w.WD20NM, c.n_all, c.n_asb FROM wards w JOIN counts c ON c.code = w.WD20CD"
run_rc "$HOTSPOT" gistar wards.gpkg -o wards.csv --value n_all 2>w.txt >/dev/null
[ "$RC" -eq 0 ] || fail "gistar on wards exited $RC: $(cat w.txt)"
head -n 1 wards.csv | grep -qx "id,n_all,GiZScore,GiPValue,GiQValue,Gi_Bin,NNeighbors" \
    || fail "CSV header: $(head -n 1 wards.csv)"
d=$(maxdiff wards.csv id GiZScore "$FIX/wards_gistar.csv" code z_all_snap1)
within "$d" 1e-9 || fail "queen (1 m snap) z differs from spdep by $d"
run_rc "$HOTSPOT" gistar wards.gpkg -o wards0.csv --value n_asb --id WD20CD --snap 0 2>w0.txt >/dev/null
d0=$(maxdiff wards0.csv WD20CD GiZScore "$FIX/wards_gistar.csv" code z_asb)
within "$d0" 1e-9 || fail "queen (poly2nb topology) z of n_asb differs from spdep by $d0"
grep -q "repaired" w.txt || fail "the invalid Heron ward must be reported as repaired"
pass "wards: z = spdep localG to $d (1 m snap) and $d0 (exact topology)"

# Moran's I of n_asb with poly2nb neighbours: spdep moran.test (randomisation).
want=$(awk -F, '$1 == "wards_asb" && $2 == "randomisation" { printf "%.6f %.4f", $3, $6 }' "$FIX/moran.csv")
got=$(sed -n "s/.*Moran's I = \([0-9.-]*\) .*, z = \([0-9.-]*\),.*/\1 \2/p" w0.txt)
[ "$got" = "$want" ] || fail "Moran's I / z: got '$got', spdep '$want'"
pass "global Moran's I and z as spdep moran.test: $got"

# ---- the spdep grid fixture as points -------------------------------------------------------
cp "$FIX/grid_gistar.csv" grid.csv
run_rc "$HOTSPOT" gistar grid.csv -o grid_out.csv --value count --weights distance:300 -q
[ "$RC" -eq 0 ] || fail "gistar on grid.csv exited $RC"
d=$(maxdiff grid_out.csv id GiZScore grid.csv cell z)
within "$d" 1e-9 || fail "grid z differs from spdep by $d"
pass "grid cell centres, distance:300: z = spdep localG to $d over 8061 cells"

# ---- p, q and bins --------------------------------------------------------------------------
check_inference() { # file fdr(0/1)
    $PY - "$1" "$2" <<'EOF' || fail "inference columns of $1"
import csv, math, sys
rows = list(csv.DictReader(open(sys.argv[1])))
fdr = sys.argv[2] == "1"
m = len(rows)
p = [float(r["GiPValue"]) for r in rows]
for r, pi in zip(rows, p):
    z = float(r["GiZScore"])
    assert abs(pi - math.erfc(abs(z) / math.sqrt(2))) <= 1e-15 + 1e-12 * pi, r
# Benjamini-Hochberg by its definition: q_(i) = min over j >= i of p_(j) m / j
order = sorted(range(m), key=lambda i: p[i])
q = [0.0] * m
run = 1.0
for rank in range(m, 0, -1):
    i = order[rank - 1]
    run = min(run, p[i] * m / rank)
    q[i] = run
for r, qi in zip(rows, q):
    assert abs(float(r["GiQValue"]) - qi) <= 1e-12, (r, qi)
    z = float(r["GiZScore"])
    d = qi if fdr else float(r["GiPValue"])
    b = 3 if d <= 0.01 else 2 if d <= 0.05 else 1 if d <= 0.10 else 0
    b = b if z > 0 else -b if z < 0 else 0
    assert int(r["Gi_Bin"]) == b, (r, b)
EOF
}
check_inference grid_out.csv 0
"$HOTSPOT" gistar grid.csv -o grid_fdr.csv --value count --weights distance:300 --fdr -q >/dev/null
check_inference grid_fdr.csv 1
pass "GiPValue = erfc(|z|/sqrt 2), GiQValue = BH, Gi_Bin on p or (--fdr) q"

# ---- hand-worked: four points 100 m apart on a line and an island -----------------------------
# values 1 2 3 4 and 10 (the island, 10 km away); band 150 m. n = 5, mean 4, S^2 = 130/5 - 16
# = 10. Unit b: neighbours a, b, c (self included): sum 6, W = S1 = 3;
# z = (6 - 4 * 3) / (sqrt 10 * sqrt((5 * 3 - 9) / 4)).
printf 'name,x,y,v,pop\na,600000,150000,1,1000\nb,600100,150000,2,2000\nc,600200,150000,3,1500\nd,600300,150000,4,500\ne,610000,150000,10,4000\n' > line.csv
run_rc "$HOTSPOT" gistar line.csv -o line.csv.out.csv --value v --weights distance:150 2>line.txt >/dev/null
[ "$RC" -eq 0 ] || fail "line exited $RC: $(cat line.txt)"
zb=$(awk -F, '$1 == "b" { print $3 }' line.csv.out.csv)
want=$(awk 'BEGIN { printf "%.15g", (6 - 12) / (sqrt(10) * sqrt(6 / 4)) }')
awk -v a="$zb" -v b="$want" 'BEGIN { d = a - b; exit !(d < 1e-12 && d > -1e-12) }' \
    || fail "z of b: $zb, hand-worked $want"
grep -qx "e,10,,,,,0" line.csv.out.csv || fail "island row: $(grep '^e,' line.csv.out.csv)"
grep -q "1 island" line.txt || fail "islands not reported: $(cat line.txt)"
pass "hand-worked z of b = $want; the island has empty statistics and NNeighbors 0"

# Rates per 1,000: rate = v * 1000 / pop, and Gi* of the rates.
"$HOTSPOT" gistar line.csv -o rates.csv --value v --population pop --weights distance:150 -q >/dev/null
head -n 1 rates.csv | grep -q "^id,v,pop,rate_per_1000,GiZScore" || fail "rates header: $(head -n 1 rates.csv)"
awk -F, 'NR > 1 { r = $2 * 1000 / $3; d = $4 - r; if (d > 1e-12 || d < -1e-12) exit 1 }' rates.csv \
    || fail "rate_per_1000 is not v * 1000 / pop"
# b's rate neighbourhood a, b, c: rates 1, 1, 2 of (1, 1, 2, 8, 2.5); mean 2.9, S^2 = 76.25/5 - 8.41
zr=$(awk -F, '$1 == "b" { print $5 }' rates.csv)
want=$(awk 'BEGIN { m = 14.5 / 5; s = sqrt(76.25 / 5 - m * m); printf "%.15g", (4 - 3 * m) / (s * sqrt(6 / 4)) }')
awk -v a="$zr" -v b="$want" 'BEGIN { d = a - b; exit !(d < 1e-12 && d > -1e-12) }' \
    || fail "z of b's rate: $zr, hand-worked $want"
pass "--population: rates per 1,000 and their Gi* (z of b = $want)"

# ---- permutations, threads, GeoPackage --------------------------------------------------------
"$HOTSPOT" gistar grid.csv -o perm1.csv --value count --weights distance:300 --permutations 199 --seed 7 --threads 1 -q >/dev/null
"$HOTSPOT" gistar grid.csv -o perm2.csv --value count --weights distance:300 --permutations 199 --seed 7 --threads 2 -q >/dev/null
"$HOTSPOT" gistar grid.csv -o perm4.csv --value count --weights distance:300 --permutations 199 --seed 7 --threads 4 -q >/dev/null
cmp -s perm1.csv perm2.csv && cmp -s perm1.csv perm4.csv || fail "permutation results differ between 1, 2 and 4 threads"
head -n 1 perm1.csv | grep -q ",GiPseudoP$" || fail "no GiPseudoP column"
cut -d, -f1-7 perm1.csv | cmp -s - grid_out.csv || fail "permutations changed GiPValue/GiQValue/Gi_Bin"
awk -F, 'NR > 1 && ($8 < 1 / 200 - 1e-12 || $8 > 0.5) { exit 1 }' perm1.csv \
    || fail "GiPseudoP outside [1/200, 0.5]"
pass "permutations: GiPseudoP in [1/(P+1), 0.5], analytic columns unchanged, same bytes at 1, 2 and 4 threads"

run_rc "$HOTSPOT" gistar wards.gpkg -o out/wards_gi.gpkg --value n_all -q
[ "$RC" -eq 0 ] || fail "gistar to gpkg exited $RC"
[ "$(sql1 out/wards_gi.gpkg "SELECT COUNT(*) AS v FROM wards WHERE GiZScore IS NOT NULL")" -eq 21 ] \
    || fail "wards layer of the output"
zg=$(sql1 out/wards_gi.gpkg "SELECT GiZScore AS v FROM wards WHERE id = 'E05010410'")
zc=$(awk -F, '$1 == "E05010410" { print $3 }' wards.csv)
awk -v a="$zg" -v b="$zc" 'BEGIN { d = a - b; exit !(d < 1e-9 && d > -1e-9) }' \
    || fail "GeoPackage z $zg != CSV z $zc"
a1=$(sql1 out/wards_gi.gpkg "SELECT ROUND(SUM(ST_Area(geom)) / 1e6, 1) AS v FROM wards")
[ "$a1" = "308.8" ] || fail "ward polygons: total area $a1 km2, README says 308.8"
[ "$(sql1 out/wards_gi.gpkg "SELECT COUNT(*) AS v FROM layer_styles WHERE f_table_name = 'wards' AND styleQML LIKE '%Gi_Bin%'")" -eq 1 ] \
    || fail "no Gi* style"
"$HOTSPOT" gistar grid.csv -o pts.gpkg --value count --weights distance:300 -q >/dev/null
[ "$(sql1 pts.gpkg "SELECT COUNT(*) AS v FROM grid WHERE ST_GeometryType(geom) = 'POINT'")" -eq 8061 ] \
    || fail "points output"
pass "GeoPackage: input polygons (308.8 km2) or points with the Gi* fields, styled"

# ---- bad data and exit codes ------------------------------------------------------------------
printf 'name,x,y,v\na,600000,150000,1\nb,600100,150000,two\nc,600200,150000,3\n' > badv.csv
run_rc "$HOTSPOT" gistar badv.csv -o x.csv --value v --weights knn:1 2>err.txt
[ "$RC" -eq 3 ] && grep -q "row 2" err.txt && grep -q "unit b" err.txt && grep -q "'two'" err.txt \
    || fail "non-numeric value: exit $RC, $(cat err.txt)"
printf 'name,x,y,v\na,600000,150000,1\nb,600100,150000,-2\nc,600200,150000,3\n' > negv.csv
run_rc "$HOTSPOT" gistar negv.csv -o x.csv --value v --weights knn:1 2>err.txt
[ "$RC" -eq 3 ] && grep -q "unit b" err.txt || fail "negative value: exit $RC, $(cat err.txt)"
printf 'name,x,y,v\na,600000,150000,1\nb,600100,150000,\nc,600200,150000,3\n' > nov.csv
run_rc "$HOTSPOT" gistar nov.csv -o x.csv --value v --weights knn:1 2>err.txt
[ "$RC" -eq 3 ] && grep -q "unit b" err.txt || fail "missing value: exit $RC, $(cat err.txt)"
printf 'name,x,y,v\na,600000,150000,1\nb,600100,150000,2\n' > two.csv
run_rc "$HOTSPOT" gistar two.csv -o x.csv --value v --weights knn:1 2>err.txt
[ "$RC" -eq 3 ] && grep -q "at least 3" err.txt || fail "n < 3: exit $RC, $(cat err.txt)"
run_rc "$HOTSPOT" gistar nothere.gpkg -o x.csv --value v 2>err.txt
[ "$RC" -eq 3 ] || fail "missing input exited $RC"
bad() { # expected-text args...
    local want="$1"; shift
    run_rc "$HOTSPOT" gistar "$@" 2>err.txt >/dev/null
    [ "$RC" -eq 2 ] || fail "gistar $* exited $RC, expected 2"
    grep -q -- "$want" err.txt || fail "gistar $*: message does not name $want: $(cat err.txt)"
}
bad --value grid.csv -o x.csv --weights knn:4
bad --value grid.csv -o x.csv --value nothere --weights knn:4
bad --id grid.csv -o x.csv --value count --id nothere --weights knn:4
bad --population grid.csv -o x.csv --value count --population nothere --weights knn:4
bad --weights grid.csv -o x.csv --value count
bad --weights grid.csv -o x.csv --value count --weights queen
bad --weights grid.csv -o x.csv --value count --weights distance:-3
bad --weights grid.csv -o x.csv --value count --weights knn:two
bad --weights grid.csv -o x.csv --value count --weights knn:9000
bad --weights grid.csv -o x.csv --value count --weights fuzzy
bad --permutations grid.csv -o x.csv --value count --weights knn:4 --permutations 100000
bad --seed grid.csv -o x.csv --value count --weights knn:4 --seed x
bad --alpha grid.csv -o x.csv --value count --weights knn:4 --alpha 1.5
bad --snap grid.csv -o x.csv --value count --weights knn:4 --snap 2
bad --crs grid.csv -o x.csv --value count --weights knn:4 --crs EPSG:4326
bad -o grid.csv -o x.shp --value count --weights knn:4
bad --fdr grid.csv -o x.csv --value count --weights knn:4 --fdr=yes
bad "--layer: no layer 'nope' (layers: wards)" wards.gpkg -o x.csv --value n_all --layer nope
pass "bad values name the unit (exit 3), n < 3 and missing input exit 3, bad options exit 2"
