/* signals.h - stop a run cleanly on SIGINT or SIGTERM.
 *
 * The handlers only record the request; the stages poll hs_cancel_requested() at safe
 * points (between stages, every few thousand rows), then the run rolls back its store
 * transaction, abandons its temporary GeoPackage and exits non-zero, leaving the previous
 * output untouched. The first signal also puts the default action back for both signals, so
 * a second Ctrl-C (or a second `kill`) ends a stuck job at once.
 *
 * The flag is a lock-free atomic, so OpenMP worker threads may poll it too (a plain
 * volatile sig_atomic_t is only defined for the thread that took the signal). Must not: do
 * anything in the handler beyond the flag, sigaction and one write(2) of a fixed message.
 */
#ifndef HS_CLI_SIGNALS_H
#define HS_CLI_SIGNALS_H

#include "engine/status.h"

/* Install the SIGINT and SIGTERM handlers and clear the flag. announce = 1 writes one line
 * to stderr when a signal arrives ("hotspot: SIGINT received: stopping at the next safe
 * point; send it again to stop at once"); 0 stays silent (-q). Call once from the main
 * thread before the stages start. Fails with HS_EINTERNAL when sigaction fails. */
hs_status hs_signals_install(int announce, hs_error *err);

/* Put back the actions that were in place before hs_signals_install (the flag is kept).
 * Does nothing when not installed. */
void hs_signals_restore(void);

/* 1 once SIGINT or SIGTERM has arrived since hs_signals_install, else 0. Cheap (one
 * relaxed atomic load); async-signal-safe and callable from any thread. */
int hs_cancel_requested(void);

/* The signal that asked to stop (SIGINT or SIGTERM), or 0. Any thread. */
int hs_cancel_signal(void);

/* Clear the flag (tests; a CLI run never needs it). */
void hs_cancel_reset(void);

#endif
