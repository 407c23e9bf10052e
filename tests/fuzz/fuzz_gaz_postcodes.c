/* fuzz_gaz_postcodes.c - libFuzzer target: hs_gazetteer_build with the input given as
 * --postcodes (OS Code-Point Open, with or without its header, or the ONS Postcode
 * Directory). The checks are in fuzz_gazetteer_run.h. Seeds: tests/fuzz/corpus/gaz_postcodes/. */
#include "fuzz_gazetteer_run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hs_fuzz_gazetteer(HS_GAZ_INPUT_POSTCODES, data, size);
    return 0;
}
