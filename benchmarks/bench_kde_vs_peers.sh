#!/usr/bin/env bash
# bench_kde_vs_peers.sh - `hotspot kde` against QGIS's heatmap (qgis:heatmapkerneldensityestimation,
# QGIS 3.22) and GRASS v.kernel (GRASS 8.2) on the same seeded clustered points: 20 km x 20 km,
# quartic kernel, r = 200 m, 10 m cells (2041 x 2041 cells). Every tool is timed as a whole
# process reading the CSV and writing a GeoTIFF; ratios are peer seconds / hotspot seconds
# measured in the same run (target: hotspot >= 20x faster than QGIS at every size).
#
#   HOTSPOT=/path/to/hotspot benchmarks/bench_kde_vs_peers.sh [WORKDIR]
#
# Environment: SIZES (default "200000 1000000"), REPEATS (hotspot runs per size, median;
# default 3), QGIS_REPEATS (default 1), GRASS_SIZES (sizes GRASS runs at; default: SIZES;
# "" skips GRASS).
#
# Points (awk, Park-Miller seeded): four points on the corners of the square pin the extent so
# that all three tools build the same grid, 30% uniform background, 70% in 40 normal
# clusters (sd 80..780 m). Rasters are compared cell by cell (Python/numpy):
#   - hotspot --scale raw against QGIS "Raw" (OUTPUT_VALUE=0): the largest relative
#     difference where both are non-zero, the cells non-zero in one only, and the same on
#     points moved to cell-centre rows ("rowcentred"), where QGIS's kernel-stamp geometry
#     and ours coincide (see RESULTS.md for the explanation of the difference);
#   - hotspot density (per km2) against GRASS (per m2): the ratio 1e6 and its largest
#     relative deviation.
# Prints one line per case: case, n, threads, median seconds, ratio, checksum (first 16 hex
# of SHA-256 of the raster's float32 cells), then the comparison figures.
set -euo pipefail

if [[ -z "${HOTSPOT:-}" || ! -x "${HOTSPOT:-}" ]]; then
    echo "bench_kde_vs_peers: set HOTSPOT to the hotspot executable (e.g. HOTSPOT=build/cli/hotspot)" >&2
    exit 2
fi
QGIS=$(command -v qgis_process.bin || command -v qgis_process || true)
[[ -n "$QGIS" ]] || { echo "bench_kde_vs_peers: qgis_process not found" >&2; exit 5; }
PY=/usr/bin/python3
SIZES=${SIZES:-"200000 1000000"}
REPEATS=${REPEATS:-3}
QGIS_REPEATS=${QGIS_REPEATS:-1}
GRASS_SIZES=${GRASS_SIZES-$SIZES}
export QT_QPA_PLATFORM=offscreen

work="${1:-$(mktemp -d)}"
mkdir -p "$work"
cd "$work"
threads=$(nproc)

now() { date +%s.%N; }
# median of the numbers on stdin
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# seconds taken by a command (its output discarded)
timed() { local t0 t1; t0=$(now); "$@" >/dev/null 2>>"$work/stderr.log"; t1=$(now); echo "$t1 - $t0" | bc -l; }

# ---- seeded clustered points ------------------------------------------------------------
gen() { # n seed rowcentred(0/1)
    awk -v n="$1" -v seed="$2" -v snap="$3" -v x0=600000 -v y0=150000 -v side=20000 '
    function u() { s = (16807 * s) % 2147483647; return s / 2147483647 }
    function gauss() { return sqrt(-2 * log(u() + 1e-300)) * cos(6.283185307179586 * u()) }
    BEGIN {
        s = seed % 2147483647; if (s <= 0) s = 1
        print "x,y"
        printf "%d,%d\n%d,%d\n%d,%d\n%d,%d\n", x0, y0, x0 + side, y0, x0, y0 + side, x0 + side, y0 + side
        for (k = 0; k < 40; k++) {
            cx[k] = x0 + side * (0.1 + 0.8 * u()); cy[k] = y0 + side * (0.1 + 0.8 * u())
            sd[k] = 80 + 700 * u()
        }
        for (i = 4; i < n; ) {
            if (u() < 0.3) { x = x0 + side * u(); y = y0 + side * u() }
            else { k = int(40 * u()); x = cx[k] + sd[k] * gauss(); y = cy[k] + sd[k] * gauss() }
            if (x <= x0 || x >= x0 + side || y <= y0 || y >= y0 + side) continue
            if (snap) y = (int(y / 10) + 0.5) * 10
            printf "%.2f,%.2f\n", x, y
            i++
        }
    }'
}

# ---- the tools ------------------------------------------------------------------------------
run_hotspot() { # csv out.tif scale
    "$HOTSPOT" kde "$1" -o "$2" --radius 200 --cell 10 --kernel quartic --scale "$3" -q
}
run_qgis() { # csv out.tif
    "$QGIS" run qgis:heatmapkerneldensityestimation -- \
        "INPUT=delimitedtext://file://$work/$1?type=csv&xField=x&yField=y&crs=EPSG:27700&spatialIndex=no&subsetIndex=no&watchFile=no" \
        RADIUS=200 PIXEL_SIZE=10 KERNEL=0 OUTPUT_VALUE=0 "OUTPUT=$work/$2"
}
run_grass() { # csv out.tif
    cat > grass_job.sh <<EOF
set -e
v.in.ascii -t input=$1 output=pts separator=comma skip=1 x=1 y=2 --quiet
g.region n=170200 s=149790 w=599800 e=620210 res=10
v.kernel input=pts output=k radius=200 kernel=quartic --quiet
r.out.gdal -f input=k output=$2 format=GTiff type=Float32 createopt=COMPRESS=DEFLATE,PREDICTOR=3,TILED=YES --quiet --overwrite
EOF
    grass --tmp-location EPSG:27700 --exec bash grass_job.sh
}

# ---- comparisons ------------------------------------------------------------------------------
compare() { # mode a.tif b.tif: prints "key=value ..." (mode: raw, rowcentred, grass)
    $PY - "$@" <<'EOF'
import sys
import numpy as np
from osgeo import gdal
mode, fa, fb = sys.argv[1:4]
da, db = gdal.Open(fa), gdal.Open(fb)
if (da.RasterXSize, da.RasterYSize, da.GetGeoTransform()) != (db.RasterXSize, db.RasterYSize, db.GetGeoTransform()):
    sys.exit("grids differ: %s %s" % (da.GetGeoTransform(), db.GetGeoTransform()))
a = da.GetRasterBand(1).ReadAsArray().astype(np.float64)
b = db.GetRasterBand(1).ReadAsArray().astype(np.float64)
b[b == -9999] = 0  # QGIS leaves cells no kernel reaches as nodata
if mode == "grass":
    b = b * 1e6    # GRASS: points per m2; hotspot: per km2
if mode == "rowcentred":
    # the four corner points sit on a cell edge row: leave out the cells their kernels reach
    gt = da.GetGeoTransform()
    ys = gt[3] + (np.arange(a.shape[0]) + 0.5) * gt[5]
    xs = gt[0] + (np.arange(a.shape[1]) + 0.5) * gt[1]
    X, Y = np.meshgrid(xs, ys)
    far = np.ones(a.shape, bool)
    for cx in (600000, 620000):
        for cy in (150000, 170000):
            far &= (X - cx) ** 2 + (Y - cy) ** 2 > 230.0 ** 2
    a, b = a[far], b[far]
both = (a > 0) & (b > 0)
rel = np.abs(a - b)[both] / np.maximum(a, b)[both]
big = both & (np.maximum(a, b) >= 0.01 * a.max())
relbig = np.abs(a - b)[big] / np.maximum(a, b)[big]
print("max_rel_diff_both_nonzero=%.2e max_rel_diff_above_1pct_of_max=%.2e "
      "max_abs_diff_over_max=%.2e nonzero_in_one_only=%d cells_compared=%d"
      % (rel.max(), relbig.max(), np.abs(a - b).max() / a.max(),
         int(((a > 0) != (b > 0)).sum()), int(both.sum())))
EOF
}
checksum() { # tif
    $PY - "$1" <<'EOF'
import hashlib, sys
from osgeo import gdal
ds = gdal.Open(sys.argv[1])
d = ds.GetRasterBand(1).ReadAsArray()
print(hashlib.sha256(d.astype("<f4").tobytes()).hexdigest()[:16])
EOF
}
verdict() { echo "$1 >= $2" | bc -l | sed 's/^1$/met/;s/^0$/below_target/'; }

echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(uname -n), $threads cores, load $(cut -d' ' -f1-3 /proc/loadavg); $("$HOTSPOT" --version | head -n 1)"
for n in $SIZES; do
    gen "$n" 42 0 > "p$n.csv"
    hs=$(for r in $(seq "$REPEATS"); do timed run_hotspot "p$n.csv" "hs$n.tif" raw; done | median)
    printf 'case=kde_hotspot n=%d threads=%d median_s=%.3f ratio=1.00 checksum=%s runs=%d\n' \
        "$n" "$threads" "$hs" "$(checksum "hs$n.tif")" "$REPEATS"
    qs=$(for r in $(seq "$QGIS_REPEATS"); do timed run_qgis "p$n.csv" "qg$n.tif"; done | median)
    ratio=$(echo "$qs / $hs" | bc -l)
    printf 'case=kde_qgis_heatmap n=%d threads=1 median_s=%.3f ratio=%.1f checksum=%s runs=%d target=20 %s %s\n' \
        "$n" "$qs" "$ratio" "$(checksum "qg$n.tif")" "$QGIS_REPEATS" "$(verdict "$ratio" 20)" \
        "$(compare raw "hs$n.tif" "qg$n.tif")"
    if [[ " $GRASS_SIZES " == *" $n "* ]]; then
        run_hotspot "p$n.csv" "hsd$n.tif" density >/dev/null
        gs=$(timed run_grass "p$n.csv" "gr$n.tif")
        printf 'case=kde_grass_vkernel n=%d threads=1 median_s=%.3f ratio=%.1f checksum=%s runs=1 %s\n' \
            "$n" "$gs" "$(echo "$gs / $hs" | bc -l)" "$(checksum "gr$n.tif")" \
            "$(compare grass "hsd$n.tif" "gr$n.tif")"
    fi
done
# Where the two agree: the smallest size again with every point on a cell-centre row.
n=${SIZES%% *}
gen "$n" 42 1 > "c$n.csv"
run_hotspot "c$n.csv" "hsc$n.tif" raw >/dev/null
run_qgis "c$n.csv" "qgc$n.tif" >/dev/null 2>>stderr.log
printf 'case=kde_qgis_rowcentred n=%d threads=1 %s\n' "$n" "$(compare rowcentred "hsc$n.tif" "qgc$n.tif")"
