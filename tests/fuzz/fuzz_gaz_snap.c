/* fuzz_gaz_snap.c - libFuzzer target: hs_gazetteer_build with the input given as
 * --snap-points (a police.uk street-level CSV, read by geo/ingest, lon/lat through PROJ).
 * The checks are in fuzz_gazetteer_run.h. Seeds: tests/fuzz/corpus/gaz_snap/. */
#include "fuzz_gazetteer_run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hs_fuzz_gazetteer(HS_GAZ_INPUT_SNAP_POINTS, data, size);
    return 0;
}
