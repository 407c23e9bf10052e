/* sources.h - read the incident sources of a job (or of a command line) into a table:
 * each source is a path or glob with an optional column mapping (cli/job.h). */
#ifndef HS_CLI_SOURCES_H
#define HS_CLI_SOURCES_H

#include "cli/job.h"
#include "engine/status.h"
#include "geo/incidents.h"

/* Read every file of the n sources, in order (glob matches sorted), into t. what names the
 * place the sources were given (job file or "command line") for messages. A pattern that
 * matches no file is an HS_EDATA error. Logs one verbose line per file and a warning for
 * files with malformed rows. */
hs_status hs_read_sources(const hs_job_source *src, size_t n, const char *what, hs_incidents *t,
                          hs_error *err);

#endif
