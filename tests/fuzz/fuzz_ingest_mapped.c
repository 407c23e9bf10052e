/* fuzz_ingest_mapped.c - libFuzzer target: hs_ingest_file on a council-style CSV read with a
 * column mapping (every mapped column, a harm weight and a source CRS), as a job file's
 * [incidents.NAME] section gives it. The checks are in fuzz_ingest_run.h. Seeds:
 * tests/fuzz/corpus/ingest_mapped/ (headers use these column names). */
#include "fuzz_ingest_run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hs_ingest_params p;
    hs_ingest_params_default(&p);
    p.map.id = "Reference";
    p.map.date = "Date Reported";
    p.map.category = "Category";
    p.map.x = "Easting";
    p.map.y = "Northing";
    p.map.address = "Address";
    p.map.postcode = "Postcode";
    p.map.lsoa = "LSOA";
    p.map.weight = "Weight";
    p.map.source_crs = "EPSG:27700";
    hs_fuzz_ingest(data, size, &p);
    return 0;
}
