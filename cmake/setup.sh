#!/bin/sh
# setup.sh - everything a new Debian 12 machine needs, in one command.
#
#   sh cmake/setup.sh demo            install packages, build, run the demo job
#   sh cmake/setup.sh test            install packages, build, run every test
#   sh cmake/setup.sh test-sanitize   the tests again, built with AddressSanitizer + UBSan
#   sh cmake/setup.sh install         build and install (cmake --install) under /usr/local
#
# Run it as root or as a user with sudo: it installs only the Debian packages that are
# missing (apt-get), then configures and builds with CMake in build/ (build-asan/ for the
# sanitizer build). Set HS_NO_APT=1 to skip the package step.
set -eu

mode=${1:-demo}
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

# Build and run-time dependencies (DESIGN.md): GDAL, PROJ, GEOS, SQLite + SpatiaLite,
# OpenMP (libgomp comes with gcc), cmocka, libinih (job files), libcsv (CSV parsing).
build_pkgs="cmake make gcc libc6-dev pkg-config
  libgdal-dev gdal-bin python3-gdal libproj-dev proj-data proj-bin libgeos-dev
  libsqlite3-dev sqlite3 libspatialite-dev libsqlite3-mod-spatialite spatialite-bin
  libcmocka-dev libinih-dev libcsv-dev"
# For the tests: QGIS's Python API (styles and projects open in QGIS) and headless Chromium
# (the HTML report), both from Debian.
test_pkgs="python3-qgis qgis-providers chromium xauth"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else echo "setup: need root or sudo to install packages: $*" >&2; exit 5; fi
}

install_missing() {
  [ "${HS_NO_APT:-0}" = 1 ] && return 0
  missing=""
  for p in "$@"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" ||
      missing="$missing $p"
  done
  [ -z "$missing" ] && return 0
  echo "setup: installing Debian packages:$missing"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
}

configure_build() {  # $1 = build folder, rest = cmake options
  dir=$1; shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
  cmake --build "$dir" -j "$(nproc)"
}

case "$mode" in
  demo)
    install_missing $build_pkgs
    configure_build build
    ./build/cli/hotspot run
    echo
    echo "The GeoPackage is at: $here/out/demo/hotspots.gpkg"
    echo "(open it in QGIS; inputs were generated in $here/data/demo/generated/)"
    ;;
  test)
    install_missing $build_pkgs $test_pkgs
    configure_build build
    ctest --test-dir build --output-on-failure -j 2
    ;;
  test-sanitize)
    install_missing $build_pkgs $test_pkgs
    configure_build build-asan -DHS_SANITIZE=address,undefined -DHS_BUILD_BENCHMARKS=OFF
    ASAN_OPTIONS=detect_leaks=1 ctest --test-dir build-asan --output-on-failure -j 2
    ;;
  install)
    install_missing $build_pkgs
    configure_build build
    as_root cmake --install build
    ;;
  *)
    echo "usage: sh cmake/setup.sh demo|test|test-sanitize|install" >&2
    exit 2
    ;;
esac
