# lib.sh - helpers for the end-to-end tests (sourced). Each test runs the real hotspot binary
# ($HOTSPOT) in its own scratch folder ($HS_TEST_TMP_DIR) and reads the output back with GDAL.
set -euo pipefail

: "${HOTSPOT:?HOTSPOT must point at the hotspot binary}"
: "${HS_SOURCE_DIR:?}"
: "${HS_TEST_TMP_DIR:?}"

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

# Run a command, capture its exit code in RC (never aborts the test).
run_rc() { set +e; "$@"; RC=$?; set -e; }

# One value from a SQL query on a GeoPackage (first column of the first row).
sql1() { ogrinfo -ro -q -sql "$2" "$1" | sed -n 's/^  [^ ]* ([A-Za-z0-9]*) = //p' | head -n 1; }

# Dump one layer's attributes and geometries as text, ordered by fid (for comparisons).
dump_layer() { ogr2ogr -f CSV /vsistdout/ "$1" -lco GEOMETRY=AS_WKT -sql "SELECT * FROM $2 ORDER BY fid"; }

fresh_dir() { rm -rf "$HS_TEST_TMP_DIR"; mkdir -p "$HS_TEST_TMP_DIR"; cd "$HS_TEST_TMP_DIR"; }
