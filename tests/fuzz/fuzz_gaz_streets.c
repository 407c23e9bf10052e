/* fuzz_gaz_streets.c - libFuzzer target: hs_gazetteer_build with the input given as
 * --streets (OS Open Names, with or without its header). The checks are in
 * fuzz_gazetteer_run.h. Seeds: tests/fuzz/corpus/gaz_streets/. */
#include "fuzz_gazetteer_run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hs_fuzz_gazetteer(HS_GAZ_INPUT_STREETS, data, size);
    return 0;
}
