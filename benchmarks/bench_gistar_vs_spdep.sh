#!/usr/bin/env bash
# bench_gistar_vs_spdep.sh - hotspot's Gi* against R spdep on the same 100,000 grid cells,
# both timed as whole processes (start-up, reading the CSV, weights, Gi*, writing).
#
#   HOTSPOT=/path/to/hotspot benchmarks/bench_gistar_vs_spdep.sh [WORKDIR]
#
# Makes cells.csv (id,x,y,count): 400 x 250 cells of 100 m (EPSG:27700 metres), counts from
# a seeded Park-Miller generator (a sparse background plus a few hot areas); then times
#   $HOTSPOT gistar cells.csv -o out.csv --value count --id id --weights distance:150
# and an Rscript doing dnearneigh(0, 150) + nb2listw(include.self(nb), "B") + localG on the
# same CSV; prints both times and the ratio (target: hotspot >= 50x faster), and checks that
# the two z columns agree to 1e-9 for every cell (exit 1 otherwise). Needs Rscript with spdep.
# Environment: REPEATS (hotspot runs, median; default 5), SPDEP_REPEATS (default 1).
# Prints one line per tool: case, n, threads, median seconds, ratio (spdep / hotspot),
# checksum (first 16 hex of the SHA-256 of hotspot's out.csv, or of spdep's z column).
set -euo pipefail

if [[ -z "${HOTSPOT:-}" ]]; then
    echo "bench_gistar_vs_spdep: set HOTSPOT to the hotspot executable" \
         "(e.g. HOTSPOT=build/cli/hotspot)" >&2
    exit 2
fi
if [[ ! -x "$HOTSPOT" ]]; then
    echo "bench_gistar_vs_spdep: HOTSPOT=$HOTSPOT is not an executable file" >&2
    exit 2
fi
command -v Rscript >/dev/null || { echo "bench_gistar_vs_spdep: Rscript not found" >&2; exit 5; }

work="${1:-$(mktemp -d)}"
mkdir -p "$work"
cd "$work"

# ---- seeded cells --------------------------------------------------------------------------
awk -v nx=400 -v ny=250 -v cell=100 -v x0=600000 -v y0=150000 -v seed=20240101 '
function u() { s = (16807 * s) % 2147483647; return s / 2147483647 }   # Park-Miller
BEGIN {
    s = seed % 2147483647
    for (h = 0; h < 12; h++) { hx[h] = u() * nx; hy[h] = u() * ny; hr[h] = 3 + 12 * u(); hp[h] = 4 + 10 * u() }
    print "id,x,y,count"
    id = 0
    for (r = 0; r < ny; r++) for (c = 0; c < nx; c++) {
        lambda = 0.3
        for (h = 0; h < 12; h++) {
            d2 = (c - hx[h]) ^ 2 + (r - hy[h]) ^ 2
            lambda += hp[h] * exp(-d2 / (2 * hr[h] ^ 2))
        }
        # Poisson draw by inversion (lambda is small)
        k = 0; p = exp(-lambda); f = p; v = u()
        while (v > f && k < 200) { k++; p *= lambda / k; f += p }
        printf "%d,%d,%d,%d\n", ++id, x0 + (c + 0.5) * cell, y0 + (r + 0.5) * cell, k
    }
}' > cells.csv
echo "cells.csv: $(($(wc -l < cells.csv) - 1)) cells"

now() { date +%s.%N; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
REPEATS=${REPEATS:-5}
SPDEP_REPEATS=${SPDEP_REPEATS:-1}

# ---- hotspot ---------------------------------------------------------------------------------
run_hotspot() {
    rm -f out.csv
    local t0 t1
    t0=$(now)
    "$HOTSPOT" gistar cells.csv -o out.csv --value count --id id --weights distance:150 -q >/dev/null
    t1=$(now)
    echo "$t1 - $t0" | bc -l
}
hs_s=$(for r in $(seq "$REPEATS"); do run_hotspot; done | median)

# ---- R spdep -----------------------------------------------------------------------------------
cat > spdep.R <<'RS'
suppressPackageStartupMessages(library(spdep))
d <- read.csv("cells.csv")
nb <- dnearneigh(cbind(d$x, d$y), 0, 150)
z <- as.numeric(localG(d$count, nb2listw(include.self(nb), style = "B")))
write.csv(data.frame(id = d$id, z = sprintf("%.17g", z)), "spdep.csv", row.names = FALSE,
          quote = FALSE)
RS
run_spdep() {
    local t0 t1
    t0=$(now)
    Rscript spdep.R
    t1=$(now)
    echo "$t1 - $t0" | bc -l
}
r_s=$(for r in $(seq "$SPDEP_REPEATS"); do run_spdep; done | median)

# ---- compare -------------------------------------------------------------------------------
Rscript -e '
h <- read.csv("out.csv", check.names = FALSE)
r <- read.csv("spdep.csv")
idc <- names(h)[1]
zc <- "GiZScore"
if (!(zc %in% names(h))) stop("out.csv has no GiZScore column")
m <- merge(data.frame(id = h[[idc]], zh = as.numeric(h[[zc]])), r, by = "id")
if (nrow(m) != nrow(r)) stop(sprintf("%d of %d cells matched by id", nrow(m), nrow(r)))
d <- max(abs(m$zh - m$z))
cat(sprintf("max |z_hotspot - z_spdep| = %.3g over %d cells\n", d, nrow(m)))
if (!(d <= 1e-9)) quit(status = 1)
' || { echo "bench_gistar_vs_spdep: z columns differ by more than 1e-9" >&2; exit 1; }

ratio=$(echo "$r_s / $hs_s" | bc -l)
sum16() { sha256sum "$1" | cut -c1-16; }
printf 'case=gistar_hotspot n=100000 threads=%d median_s=%.3f ratio=1.00 checksum=%s runs=%d\n' \
    "$(nproc)" "$hs_s" "$(sum16 out.csv)" "$REPEATS"
printf 'case=gistar_spdep n=100000 threads=1 median_s=%.3f ratio=%.1f checksum=%s runs=%d target=50 %s\n' \
    "$r_s" "$ratio" "$(sum16 spdep.csv)" "$SPDEP_REPEATS" \
    "$(echo "$ratio >= 50" | bc -l | sed 's/^1$/met/;s/^0$/below_target/')"
