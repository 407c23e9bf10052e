#!/bin/sh
# run.sh - fuzz one target for a while: tests/fuzz/run.sh NAME [SECONDS] [BUILD_DIR]
#
# NAME is the target without its fuzz_ prefix (ingest, ingest_mapped, job, normalize,
# gaz_postcodes, gaz_streets, gaz_snap). BUILD_DIR (default build-fuzz) is a clang build
# configured as tests/fuzz/CMakeLists.txt says. New inputs go to BUILD_DIR/fuzz-work/NAME/
# (never into the repository's seeds), crash inputs to BUILD_DIR/fuzz-artifacts/NAME/, the
# log to BUILD_DIR/fuzz-work/NAME.log. One job and one OpenMP thread (the machine is shared);
# the dictionary NAME.dict, else that of NAME's prefix (ingest_mapped -> ingest.dict,
# gaz_snap -> gaz.dict).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
name=${1:?usage: run.sh NAME [SECONDS] [BUILD_DIR]}
secs=${2:-600}
build=$(cd "${3:-$root/build-fuzz}" && pwd)
exe="$build/tests/fuzz/fuzz_$name"
[ -x "$exe" ] || { echo "run.sh: no $exe (build with HS_FUZZ=ON and clang)" >&2; exit 2; }
work="$build/fuzz-work/$name"
art="$build/fuzz-artifacts/$name"
mkdir -p "$work" "$art"
dict=""
for d in "$here/$name.dict" "$here/${name%%_*}.dict"; do
  if [ -f "$d" ]; then dict="-dict=$d"; break; fi
done
# libFuzzer writes fuzz-0.log in the working directory: one directory per target, so that
# two targets can run at once (one per core) without taking each other's log.
mkdir -p "$build/fuzz-work/$name.cwd"
cd "$build/fuzz-work/$name.cwd"
# -max_len: the seeds reach 10 kB (Open Names rows are ~700 bytes each).
status=0
OMP_NUM_THREADS=1 LSAN_OPTIONS="suppressions=$root/tests/lsan.supp" PROJ_NETWORK=OFF \
  UBSAN_OPTIONS=print_stacktrace=1 \
  "$exe" -max_total_time="$secs" -jobs=1 -workers=1 -max_len=16384 -timeout=30 \
  -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$art/" $dict \
  "$work" "$here/corpus/$name" || status=$?
mv -f "$build/fuzz-work/$name.cwd/fuzz-0.log" "$build/fuzz-work/$name.log"
tail -n 25 "$build/fuzz-work/$name.log"
ls "$art"
exit "$status"
