/* test_lock.c - the per-job lock: a lock held by another process (a forked child) makes
 * the attempt fail with HS_EBUSY naming the holder's pid and the lock file; the lock goes
 * with the holder's death; a second lock in the same process is refused; release empties
 * the file; parent folders are created. */
#include "cli/lock.h"
#include "tests/test_support.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* cmocka needs setjmp.h, stdarg.h and stddef.h first. */
#include <cmocka.h>

/* A child that takes the lock at path, reports '1' (or '0' on failure) through ready, then
 * waits for a byte on go before releasing (or for its death). */
typedef struct holder {
    pid_t pid; /* the child */
    int go;    /* write end: a byte lets the child release and exit */
} holder;

static holder start_holder(const char *path)
{
    int ready[2], go[2];
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(go), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(ready[0]);
        close(go[1]);
        hs_lock *l = NULL;
        char c = hs_lock_acquire(path, &l, NULL) == HS_OK ? '1' : '0';
        if (write(ready[1], &c, 1) != 1)
            _exit(10);
        if (read(go[0], &c, 1) < 0)
            _exit(11);
        hs_lock_release(l);
        _exit(0);
    }
    close(ready[1]);
    close(go[0]);
    char c = 'x';
    assert_int_equal(read(ready[0], &c, 1), 1);
    close(ready[0]);
    assert_int_equal(c, '1');
    holder h = {pid, go[1]};
    return h;
}

/* The lock at path is free: we take it (the file then names us), release it, remove it. */
static void expect_free_then_remove(const char *path)
{
    hs_lock *l = NULL;
    hs_error err;
    assert_int_equal(hs_lock_acquire(path, &l, &err), HS_OK);
    assert_int_equal(hs_lock_holder(path), (long)getpid());
    hs_lock_release(l);
    unlink(path);
}

static int wait_child(pid_t pid)
{
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        ;
    return status;
}

static void test_child_holds_lock_parent_gets_busy(void **state)
{
    (void)state;
    char store[4096], path[4096];
    hs_test_tmp("job.store.sqlite", store, sizeof store);
    assert_int_equal(hs_lock_path(store, path, sizeof path), 0);
    holder h = start_holder(path);

    hs_lock *l = NULL;
    hs_error err;
    hs_error_clear(&err);
    assert_int_equal(hs_lock_acquire(path, &l, &err), HS_EBUSY);
    assert_null(l);
    assert_int_equal(err.code, HS_EBUSY);
    assert_string_equal(err.file, path);
    char pid_text[64];
    snprintf(pid_text, sizeof pid_text, "pid %ld holds", (long)h.pid);
    assert_non_null(strstr(err.what, pid_text));
    assert_non_null(strstr(err.what, "another run of this job is in progress"));
    assert_int_equal(hs_lock_holder(path), (long)h.pid);
    /* The formatted message names the lock file too. */
    char line[2048];
    hs_error_format(&err, line, sizeof line);
    assert_non_null(strstr(line, path));

    /* Once the child releases, the lock is ours. */
    char c = 'g';
    assert_int_equal(write(h.go, &c, 1), 1);
    close(h.go);
    int status = wait_child(h.pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    expect_free_then_remove(path);
}

static void test_lock_goes_with_a_killed_holder(void **state)
{
    (void)state;
    char path[4096];
    hs_test_tmp("killed.lock", path, sizeof path);
    holder h = start_holder(path);
    assert_int_equal(kill(h.pid, SIGKILL), 0);
    int status = wait_child(h.pid);
    assert_true(WIFSIGNALED(status));
    close(h.go);
    /* The file still names the dead holder (harmless), but the kernel dropped its lock. */
    assert_int_equal(hs_lock_holder(path), (long)h.pid);
    expect_free_then_remove(path);
}

static void test_second_lock_in_same_process_is_busy(void **state)
{
    (void)state;
    char path[4096];
    hs_test_tmp("same.lock", path, sizeof path);
    hs_lock *a = NULL, *b = NULL;
    hs_error err;
    assert_int_equal(hs_lock_acquire(path, &a, &err), HS_OK);
    assert_int_equal(hs_lock_acquire(path, &b, &err), HS_EBUSY);
    assert_null(b);
    char pid_text[64];
    snprintf(pid_text, sizeof pid_text, "pid %ld", (long)getpid());
    assert_non_null(strstr(err.what, pid_text));
    hs_lock_release(a);
    assert_int_equal(hs_lock_acquire(path, &b, &err), HS_OK);
    hs_lock_release(b);
    unlink(path);
}

static void test_release_empties_file(void **state)
{
    (void)state;
    char path[4096];
    hs_test_tmp("empty.lock", path, sizeof path);
    hs_lock *l = NULL;
    assert_int_equal(hs_lock_acquire(path, &l, NULL), HS_OK);
    size_t len = 0;
    unsigned char *text = hs_test_read(path, &len);
    assert_non_null(text);
    char expect[64];
    snprintf(expect, sizeof expect, "pid %ld\nstarted ", (long)getpid());
    assert_memory_equal(text, expect, strlen(expect));
    free(text);
    hs_lock_release(l);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_size, 0);
    assert_int_equal(hs_lock_holder(path), 0);
    hs_lock_release(NULL);
    unlink(path);
}

static void test_parent_folders_created(void **state)
{
    (void)state;
    char dir[4096], path[4200];
    hs_test_tmp("lockdir", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/a/b/job.store.sqlite.lock", dir);
    expect_free_then_remove(path);
    char sub[4200];
    snprintf(sub, sizeof sub, "%s/a/b", dir);
    rmdir(sub);
    snprintf(sub, sizeof sub, "%s/a", dir);
    rmdir(sub);
    rmdir(dir);
}

static void test_lock_path(void **state)
{
    (void)state;
    char buf[64];
    assert_int_equal(hs_lock_path("out/job.store.sqlite", buf, sizeof buf), 0);
    assert_string_equal(buf, "out/job.store.sqlite.lock");
    char tiny[8];
    assert_int_equal(hs_lock_path("out/job.store.sqlite", tiny, sizeof tiny), -1);
    assert_string_equal(tiny, "");
}

static void test_unwritable_folder_is_io_error(void **state)
{
    (void)state;
    /* A path below a regular file cannot be created. */
    char file[4096], path[4200];
    hs_test_tmp("plainfile", file, sizeof file);
    assert_int_equal(hs_test_write(file, "x", 1), 0);
    snprintf(path, sizeof path, "%s/sub/job.lock", file);
    hs_lock *l = NULL;
    hs_error err;
    assert_int_equal(hs_lock_acquire(path, &l, &err), HS_EIO);
    assert_null(l);
    unlink(file);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_child_holds_lock_parent_gets_busy),
        cmocka_unit_test(test_lock_goes_with_a_killed_holder),
        cmocka_unit_test(test_second_lock_in_same_process_is_busy),
        cmocka_unit_test(test_release_empties_file),
        cmocka_unit_test(test_parent_folders_created),
        cmocka_unit_test(test_lock_path),
        cmocka_unit_test(test_unwritable_folder_is_io_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
