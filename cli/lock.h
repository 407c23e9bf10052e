/* lock.h - one run of a job at a time.
 *
 * The lock is an flock(2) exclusive lock on a small file, by convention "<store>.lock" beside
 * the job's state store (hs_lock_path). The holder writes its pid and start time into the
 * file so that a second run can say who holds it. The kernel drops the lock when the holder
 * closes it or dies in any way (kill -9, crash, power loss), so a stale lock file never
 * blocks a later run; its text may then name a dead pid, which is harmless.
 *
 * The lock file is never deleted: deleting it would let a waiting run lock the old inode
 * while a third run creates and locks a new file. flock is per open file description: a
 * second hs_lock_acquire in the same process also fails with HS_EBUSY. Locks are advisory
 * and may not work on network file systems that do not support flock.
 * Not thread-safe; the CLI takes the lock once, in the main thread, before the run starts.
 */
#ifndef HS_CLI_LOCK_H
#define HS_CLI_LOCK_H

#include "engine/status.h"

#include <stddef.h>

typedef struct hs_lock hs_lock;

/* The lock file of a resource: "<resource>.lock" into buf (size n). Returns 0, or -1 when
 * it does not fit (buf is then ""). */
int hs_lock_path(const char *resource, char *buf, size_t n);

/* Take the exclusive lock at lock_path without waiting, creating the file and its parent
 * folders when needed; *out receives the lock. Fails with:
 *   HS_EBUSY  another process (or another hs_lock in this one) holds it; err names the
 *             lock file and the holder's pid ("pid unknown" when it has not written it yet);
 *   HS_EIO    the folder or file cannot be created, opened or locked (err says why).
 * The lock file is not inherited by programs this process executes (O_CLOEXEC). */
hs_status hs_lock_acquire(const char *lock_path, hs_lock **out, hs_error *err);

/* The pid recorded in the lock file at lock_path, or 0 when there is none or it cannot be
 * read. For messages only: the holder may have exited since. */
long hs_lock_holder(const char *lock_path);

/* Release the lock: empty the file (so that it names no holder), unlock, close, free.
 * NULL does nothing. */
void hs_lock_release(hs_lock *l);

#endif
