/* signals.c - SIGINT/SIGTERM request a stop at the next safe point (see signals.h).
 *
 * The handler uses only async-signal-safe calls (POSIX.1-2017 2.4.3): an atomic store,
 * sigaction and write. errno is saved and restored around them.
 */
#include "cli/signals.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

/* C11 7.14.1.1: a handler may touch lock-free atomic objects. */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "the cancel flag needs a lock-free atomic int");

static atomic_int g_signal;         /* 0, or the first signal received */
static int g_announce;              /* write a line to stderr on the first signal */
static int g_installed;             /* handlers are in place */
static struct sigaction g_old_int;  /* SIGINT action before install */
static struct sigaction g_old_term; /* SIGTERM action before install */
static struct sigaction g_default;  /* SIG_DFL, prepared outside the handler */

static void announce(int sig)
{
    static const char int_msg[] = "\nhotspot: SIGINT received: stopping at the next safe "
                                  "point; send it again to stop at once\n";
    static const char term_msg[] = "\nhotspot: SIGTERM received: stopping at the next safe "
                                   "point; send it again to stop at once\n";
    const char *msg = sig == SIGINT ? int_msg : term_msg;
    size_t len = sig == SIGINT ? sizeof int_msg - 1 : sizeof term_msg - 1;
    /* Nothing useful can be done if stderr is gone. */
    ssize_t w = write(STDERR_FILENO, msg, len);
    (void)w;
}

static void on_signal(int sig)
{
    int saved = errno;
    int expected = 0;
    if (atomic_compare_exchange_strong(&g_signal, &expected, sig)) {
        /* From now on the default action applies: the next signal ends the process. */
        sigaction(SIGINT, &g_default, NULL);
        sigaction(SIGTERM, &g_default, NULL);
        if (g_announce)
            announce(sig);
    }
    errno = saved;
}

hs_status hs_signals_install(int announce_on_signal, hs_error *err)
{
    memset(&g_default, 0, sizeof g_default);
    g_default.sa_handler = SIG_DFL;
    sigemptyset(&g_default.sa_mask);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* While one handler runs, the other signal waits: the first one decides. */
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    /* Restart interrupted reads and writes: a stop is taken at a safe point, never as a
     * spurious EINTR I/O error in the middle of a file. */
    sa.sa_flags = SA_RESTART;

    g_announce = announce_on_signal;
    atomic_store(&g_signal, 0);
    struct sigaction old_int, old_term;
    if (sigaction(SIGINT, &sa, &old_int) != 0)
        return hs_error_set(err, HS_EINTERNAL, NULL, 0, 0, "cannot install the SIGINT handler: %s",
                            strerror(errno));
    if (sigaction(SIGTERM, &sa, &old_term) != 0) {
        int e = errno;
        sigaction(SIGINT, &old_int, NULL);
        return hs_error_set(err, HS_EINTERNAL, NULL, 0, 0, "cannot install the SIGTERM handler: %s",
                            strerror(e));
    }
    if (!g_installed) {
        /* Keep the actions from before the first install, not our own handler. */
        g_old_int = old_int;
        g_old_term = old_term;
    }
    g_installed = 1;
    return HS_OK;
}

void hs_signals_restore(void)
{
    if (!g_installed)
        return;
    sigaction(SIGINT, &g_old_int, NULL);
    sigaction(SIGTERM, &g_old_term, NULL);
    g_installed = 0;
}

int hs_cancel_requested(void)
{
    return atomic_load_explicit(&g_signal, memory_order_relaxed) != 0;
}

int hs_cancel_signal(void)
{
    return atomic_load_explicit(&g_signal, memory_order_relaxed);
}

void hs_cancel_reset(void)
{
    atomic_store(&g_signal, 0);
}
