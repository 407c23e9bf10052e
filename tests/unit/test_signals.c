/* test_signals.c - SIGINT/SIGTERM set the cancel flag and leave the process running; the
 * second signal kills; restore puts the old action back; blocking reads are restarted;
 * the announcement goes to stderr only when asked. Signals that would end the process are
 * raised in forked children. */
#include "cli/signals.h"
#include "tests/test_support.h"

#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* cmocka needs setjmp.h, stdarg.h and stddef.h first. */
#include <cmocka.h>

/* Wait for child pid; returns its wait status. */
static int wait_child(pid_t pid)
{
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        ;
    return status;
}

static void test_sigterm_sets_flag_and_process_lives(void **state)
{
    (void)state;
    hs_error err;
    assert_int_equal(hs_signals_install(0, &err), HS_OK);
    assert_int_equal(hs_cancel_requested(), 0);
    assert_int_equal(hs_cancel_signal(), 0);
    assert_int_equal(raise(SIGTERM), 0);
    assert_int_equal(hs_cancel_requested(), 1);
    assert_int_equal(hs_cancel_signal(), SIGTERM);
    hs_signals_restore();
    hs_cancel_reset();
    assert_int_equal(hs_cancel_requested(), 0);
}

static void test_sigint_sets_flag(void **state)
{
    (void)state;
    hs_error err;
    assert_int_equal(hs_signals_install(0, &err), HS_OK);
    assert_int_equal(raise(SIGINT), 0);
    assert_int_equal(hs_cancel_requested(), 1);
    assert_int_equal(hs_cancel_signal(), SIGINT);
    hs_signals_restore();
    hs_cancel_reset();
}

/* In a child: install, raise first then second; report the flag after the first through
 * the pipe. The second signal must kill the child with that signal. */
static void second_signal_kills(int first, int second)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        if (hs_signals_install(0, NULL) != HS_OK)
            _exit(10);
        raise(first);
        char c = hs_cancel_signal() == first ? '1' : '0';
        if (write(fds[1], &c, 1) != 1)
            _exit(11);
        raise(second);
        _exit(0); /* reached only if the second signal did not kill */
    }
    close(fds[1]);
    char c = 'x';
    assert_int_equal(read(fds[0], &c, 1), 1);
    close(fds[0]);
    assert_int_equal(c, '1');
    int status = wait_child(pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), second);
}

static void test_second_signal_kills(void **state)
{
    (void)state;
    second_signal_kills(SIGTERM, SIGTERM);
    second_signal_kills(SIGINT, SIGINT);
    /* Either signal counts as the second one. */
    second_signal_kills(SIGINT, SIGTERM);
}

static void test_restore_removes_handler(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (hs_signals_install(0, NULL) != HS_OK)
            _exit(10);
        hs_signals_restore();
        raise(SIGTERM); /* the default action again: ends the child */
        _exit(0);
    }
    int status = wait_child(pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGTERM);
}

/* A blocking read interrupted by the signal is restarted (SA_RESTART): the stop happens at
 * the next poll, not as an EINTR read error. The child tells the parent it is about to
 * block; the parent waits a moment so that the signal most likely lands inside read(2) (if
 * it lands before, the read still returns the byte: the test cannot fail wrongly). */
static void test_blocking_read_is_restarted(void **state)
{
    (void)state;
    int ready[2], data[2];
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(data), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(ready[0]);
        close(data[1]);
        if (hs_signals_install(0, NULL) != HS_OK)
            _exit(10);
        char c = 'r';
        if (write(ready[1], &c, 1) != 1)
            _exit(11);
        ssize_t n = read(data[0], &c, 1);
        _exit(n == 1 && c == 'd' && hs_cancel_signal() == SIGTERM ? 0 : 12);
    }
    close(ready[1]);
    close(data[0]);
    char c;
    assert_int_equal(read(ready[0], &c, 1), 1);
    struct timespec pause = {0, 100 * 1000 * 1000};
    nanosleep(&pause, NULL);
    assert_int_equal(kill(pid, SIGTERM), 0);
    nanosleep(&pause, NULL);
    c = 'd';
    assert_int_equal(write(data[1], &c, 1), 1);
    int status = wait_child(pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    close(ready[0]);
    close(data[1]);
}

/* Run a child that installs with `announce`, raises SIGINT, and writes stderr to path. */
static void announce_to_file(int announce, const char *path)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || dup2(fd, STDERR_FILENO) < 0)
            _exit(10);
        if (hs_signals_install(announce, NULL) != HS_OK)
            _exit(11);
        raise(SIGINT);
        _exit(hs_cancel_requested() ? 0 : 12);
    }
    int status = wait_child(pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_announcement_only_when_asked(void **state)
{
    (void)state;
    char path[4096];
    size_t len = 0;
    hs_test_tmp("signals-announce.txt", path, sizeof path);
    announce_to_file(1, path);
    unsigned char *text = hs_test_read(path, &len);
    assert_non_null(text);
    assert_string_equal((char *)text, "\nhotspot: SIGINT received: stopping at the next safe "
                                      "point; send it again to stop at once\n");
    free(text);
    announce_to_file(0, path);
    text = hs_test_read(path, &len);
    assert_non_null(text);
    assert_int_equal(len, 0);
    free(text);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigterm_sets_flag_and_process_lives),
        cmocka_unit_test(test_sigint_sets_flag),
        cmocka_unit_test(test_second_signal_kills),
        cmocka_unit_test(test_restore_removes_handler),
        cmocka_unit_test(test_blocking_read_is_restarted),
        cmocka_unit_test(test_announcement_only_when_asked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
