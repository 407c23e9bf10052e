/* lock.c - the per-job lock: flock(LOCK_EX | LOCK_NB) on "<store>.lock" (see lock.h).
 *
 * flock is a BSD call, not POSIX: glibc declares it only with _DEFAULT_SOURCE. POSIX fcntl
 * locks would not do: they belong to the process, so a second open in the same process
 * succeeds, and closing any descriptor of the file drops them.
 */
#define _DEFAULT_SOURCE 1

#include "cli/lock.h"

#include "geo/gpkg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

struct hs_lock {
    int fd;          /* the locked file */
    char path[4096]; /* its path, for messages */
};

int hs_lock_path(const char *resource, char *buf, size_t n)
{
    int len = snprintf(buf, n, "%s.lock", resource);
    if (len < 0 || (size_t)len >= n) {
        if (n > 0)
            buf[0] = '\0';
        return -1;
    }
    return 0;
}

/* Parse "pid N" at the start of text; 0 when absent. */
static long parse_pid(const char *text)
{
    if (strncmp(text, "pid ", 4) != 0)
        return 0;
    char *end = NULL;
    long pid = strtol(text + 4, &end, 10);
    return (end != text + 4 && pid > 0) ? pid : 0;
}

static long read_pid_fd(int fd)
{
    char buf[128];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    return parse_pid(buf);
}

long hs_lock_holder(const char *lock_path)
{
    int fd = open(lock_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    long pid = read_pid_fd(fd);
    close(fd);
    return pid;
}

/* The holder writes its pid just after taking the lock: give it a moment (up to ~100 ms)
 * rather than report "pid unknown" for a run that started at the same instant. */
static long wait_for_holder_pid(int fd)
{
    struct timespec pause = {0, 20 * 1000 * 1000};
    for (int attempt = 0; attempt < 5; attempt++) {
        long pid = read_pid_fd(fd);
        if (pid > 0)
            return pid;
        nanosleep(&pause, NULL);
    }
    return 0;
}

static hs_status busy_error(int fd, const char *lock_path, hs_error *err)
{
    long pid = wait_for_holder_pid(fd);
    char who[64];
    if (pid > 0)
        snprintf(who, sizeof who, "pid %ld", pid);
    else
        snprintf(who, sizeof who, "pid unknown");
    return hs_error_set(err, HS_EBUSY, lock_path, 0, 0,
                        "another run of this job is in progress (%s holds this lock); wait "
                        "for it to finish, or stop that process, then run again",
                        who);
}

/* Replace the file's text with "pid N\nstarted YYYY-MM-DDTHH:MM:SSZ\n". */
static int write_holder(int fd)
{
    char text[128], stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm) == NULL ||
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(stamp, sizeof stamp, "unknown");
    int len = snprintf(text, sizeof text, "pid %ld\nstarted %s\n", (long)getpid(), stamp);
    if (ftruncate(fd, 0) != 0)
        return -1;
    return pwrite(fd, text, (size_t)len, 0) == (ssize_t)len ? 0 : -1;
}

hs_status hs_lock_acquire(const char *lock_path, hs_lock **out, hs_error *err)
{
    *out = NULL;
    hs_lock *l = calloc(1, sizeof *l);
    if (l == NULL)
        return hs_error_set(err, HS_ENOMEM, lock_path, 0, 0, "out of memory");
    if ((size_t)snprintf(l->path, sizeof l->path, "%s", lock_path) >= sizeof l->path) {
        free(l);
        return hs_error_set(err, HS_EIO, lock_path, 0, 0, "lock file path too long");
    }
    hs_status st = hs_make_parent_dirs(lock_path, err);
    if (st != HS_OK) {
        free(l);
        return st;
    }
    l->fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (l->fd < 0) {
        int e = errno;
        free(l);
        return hs_error_set(err, HS_EIO, lock_path, 0, 0, "cannot open the lock file: %s",
                            strerror(e));
    }
    int rc;
    do {
        rc = flock(l->fd, LOCK_EX | LOCK_NB);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
        int e = errno;
        st = e == EWOULDBLOCK ? busy_error(l->fd, lock_path, err)
                              : hs_error_set(err, HS_EIO, lock_path, 0, 0,
                                             "cannot lock the lock file: %s", strerror(e));
        close(l->fd);
        free(l);
        return st;
    }
    if (write_holder(l->fd) != 0) {
        int e = errno;
        close(l->fd); /* also unlocks */
        free(l);
        return hs_error_set(err, HS_EIO, lock_path, 0, 0, "cannot write the lock file: %s",
                            strerror(e));
    }
    *out = l;
    return HS_OK;
}

void hs_lock_release(hs_lock *l)
{
    if (l == NULL)
        return;
    /* Empty the file before unlocking, while no one else can have it. A failure only
     * leaves a stale pid in the text; the lock itself is released by close. */
    int rc = ftruncate(l->fd, 0);
    (void)rc;
    flock(l->fd, LOCK_UN);
    close(l->fd);
    free(l);
}
