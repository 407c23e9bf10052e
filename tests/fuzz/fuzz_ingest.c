/* fuzz_ingest.c - libFuzzer target: hs_ingest_file on a CSV without a column mapping (a
 * police.uk street-level file, or columns found by their names). The checks are in
 * fuzz_ingest_run.h. Seeds: tests/fuzz/corpus/ingest/. */
#include "fuzz_ingest_run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hs_ingest_params p;
    hs_ingest_params_default(&p);
    hs_fuzz_ingest(data, size, &p);
    return 0;
}
