/* sources.c - read a job's incident sources (see sources.h). */
#include "cli/sources.h"

#include "cli/log.h"
#include "geo/ingest.h"

#include <glob.h>
#include <string.h>

static void mapping_of(const hs_job_source *src, hs_ingest_params *p)
{
    hs_ingest_params_default(p);
#define HS_MAP(f) p->map.f = src->f[0] ? src->f : NULL
    HS_MAP(id);
    HS_MAP(date);
    HS_MAP(category);
    HS_MAP(x);
    HS_MAP(y);
    HS_MAP(address);
    HS_MAP(postcode);
    HS_MAP(lsoa);
    HS_MAP(source_crs);
    HS_MAP(weight);
#undef HS_MAP
    p->layer = src->layer[0] ? src->layer : NULL;
}

hs_status hs_read_sources(const hs_job_source *srcs, size_t n, const char *what, hs_incidents *t,
                          hs_error *err)
{
    size_t malformed = 0, files_with_bad = 0;
    for (size_t s = 0; s < n; s++) {
        const hs_job_source *src = &srcs[s];
        glob_t g;
        int rc = glob(src->path, 0, NULL, &g);
        if (rc == GLOB_NOMATCH || (rc == 0 && g.gl_pathc == 0)) {
            globfree(&g);
            return hs_error_set(err, HS_EDATA, what, 0, 0,
                                "[incidents%s%s] path %s matches no file", src->name[0] ? "." : "",
                                src->name, src->path);
        }
        if (rc != 0) {
            globfree(&g);
            return hs_error_set(err, HS_EDATA, src->path, 0, 0, "cannot list the files");
        }
        hs_ingest_params p;
        mapping_of(src, &p);
        hs_status st = HS_OK;
        for (size_t k = 0; k < g.gl_pathc && st == HS_OK; k++) {
            hs_ingest_stats is;
            st = hs_ingest_file(t, g.gl_pathv[k], &p, &is, err);
            if (st != HS_OK)
                break;
            hs_log_verbose("read %s: %zu rows (%zu malformed, %zu with invalid UTF-8 "
                           "repaired, %zu blank lines)",
                           g.gl_pathv[k], is.rows, is.malformed, is.bad_utf8, is.blank);
            malformed += is.malformed;
            files_with_bad += is.malformed > 0;
        }
        globfree(&g);
        if (st != HS_OK)
            return st;
    }
    if (malformed)
        hs_log_warn("%zu malformed rows in %zu file(s): listed in geocode_failures with the "
                    "reason (-v names the files)",
                    malformed, files_with_bad);
    return HS_OK;
}
