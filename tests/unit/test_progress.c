/* test_progress.c - stage progress on stderr: one line per stage when stderr is not a
 * terminal (redirected to a file here), nothing under -q, a rate-limited bar when progress
 * is forced on, drawing only from the owner thread, atomic counts at 1/2/4 threads.
 * A fake clock makes every figure exact; expected texts are worked by hand. */
#include "cli/log.h"
#include "cli/progress.h"
#include "tests/test_support.h"

#include <fcntl.h>
#include <omp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

/* cmocka needs setjmp.h, stdarg.h and stddef.h first. */
#include <cmocka.h>

static double g_fake_s;

static double fake_clock(void)
{
    return g_fake_s;
}

static int g_saved_fd = -1;
static char g_path[4096];

/* Send stderr (fd 2) to a scratch file until capture_end. */
static void capture_begin(const char *name)
{
    hs_test_tmp(name, g_path, sizeof g_path);
    fflush(stderr);
    g_saved_fd = dup(STDERR_FILENO);
    int fd = open(g_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_true(dup2(fd, STDERR_FILENO) >= 0);
    close(fd);
}

/* Restore stderr; returns what was written (caller frees). */
static char *capture_end(size_t *len)
{
    fflush(stderr);
    dup2(g_saved_fd, STDERR_FILENO);
    close(g_saved_fd);
    g_saved_fd = -1;
    char *text = (char *)hs_test_read(g_path, len);
    assert_non_null(text);
    unlink(g_path);
    return text;
}

static int setup(void **state)
{
    (void)state;
    hs_progress_set_clock(fake_clock);
    hs_log_set_level(HS_LOG_NORMAL);
    hs_log_set_progress(-1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    hs_progress_set_clock(NULL);
    hs_log_set_level(HS_LOG_NORMAL);
    hs_log_set_progress(-1);
    return 0;
}

/* Count rows in a parallel loop, adding per row from every thread. */
static void add_in_parallel(hs_progress *p, size_t n)
{
#pragma omp parallel for default(none) shared(p, n) schedule(static)
    for (size_t i = 0; i < n; i++)
        hs_progress_add(p, 1);
}

static void test_not_a_terminal_one_line_per_stage(void **state)
{
    (void)state;
    capture_begin("progress-lines.txt");
    hs_progress p;
    g_fake_s = 100.0;
    hs_progress_begin(&p, "ingest", 3861);
    add_in_parallel(&p, 3861);
    g_fake_s = 101.0;
    hs_progress_draw(&p); /* line mode: draws nothing */
    g_fake_s = 102.5;
    hs_progress_end(&p, "placed %d", 3700);
    /* A stage with no time elapsed and no total. */
    hs_progress_begin(&p, "geocode", 0);
    hs_progress_add(&p, 10);
    hs_progress_end(&p, NULL);
    /* A stage of 4 ms: no rate (a rate over a few milliseconds says nothing). */
    g_fake_s = 200.0;
    hs_progress_begin(&p, "save", 22148);
    hs_progress_add(&p, 22148);
    g_fake_s = 200.004;
    hs_progress_end(&p, NULL);
    size_t len;
    char *text = capture_end(&len);
    /* 3861 rows / 2.5 s = 1544.4 -> 1,544 rows/s. */
    assert_string_equal(text, "hotspot: ingest: 3,861 rows in 2.50 s (1,544 rows/s), placed 3700\n"
                              "hotspot: geocode: 10 rows in 0.00 s\n"
                              "hotspot: save: 22,148 rows in 0.00 s\n");
    free(text);
}

static void test_quiet_prints_nothing(void **state)
{
    (void)state;
    hs_log_set_level(HS_LOG_QUIET);
    hs_log_set_progress(1); /* even when progress is asked for, -q wins */
    capture_begin("progress-quiet.txt");
    hs_progress p;
    g_fake_s = 0.0;
    hs_progress_begin(&p, "wards", 10);
    hs_progress_add(&p, 10);
    g_fake_s = 5.0;
    hs_progress_draw(&p);
    hs_progress_end(&p, "done");
    size_t len;
    char *text = capture_end(&len);
    assert_int_equal(len, 0);
    free(text);
    assert_int_equal(p.mode, HS_PROGRESS_OFF);
}

/* The cells between "geocode [" and ']' of the n-th bar (0-based) in text (the erase
 * sequence ESC [ K has a '[' too). */
static void bar_cells(const char *text, int nth, size_t *hashes, size_t *width)
{
    const char *b = text;
    for (int k = 0; k <= nth; k++) {
        b = strstr(b, "geocode [");
        assert_non_null(b);
        b += strlen("geocode [");
    }
    const char *e = strchr(b, ']');
    assert_non_null(e);
    *width = (size_t)(e - b);
    *hashes = 0;
    for (const char *c = b; c < e; c++)
        *hashes += *c == '#';
}

static size_t count_char(const char *text, char c)
{
    size_t n = 0;
    for (; *text; text++)
        n += *text == c;
    return n;
}

static void test_bar_is_rate_limited_and_cleared(void **state)
{
    (void)state;
    hs_log_set_progress(1); /* as with --progress */
    setenv("COLUMNS", "100", 1);
    capture_begin("progress-bar.txt");
    hs_progress p;
    g_fake_s = 0.0;
    hs_progress_begin(&p, "geocode", 200);
    assert_int_equal(p.mode, HS_PROGRESS_BAR);
    hs_progress_add(&p, 10);
    g_fake_s = 0.1;
    hs_progress_draw(&p); /* within the 0.2 s grace: nothing */
    g_fake_s = 2.0;
    hs_progress_add(&p, 40);
    hs_progress_draw(&p); /* 50/200 at 2 s: 25 %, 25 rows/s, ETA 150/25 = 6 s */
    g_fake_s = 2.05;
    hs_progress_draw(&p); /* 0.05 s after the last: nothing */
    g_fake_s = 2.2;
    hs_progress_add(&p, 150);
    hs_progress_draw(&p); /* 200/200 at 2.2 s: 100 %, 90.9 -> 91 rows/s, ETA 0 */
    g_fake_s = 4.0;
    hs_progress_end(&p, NULL);
    size_t len;
    char *text = capture_end(&len);
    unsetenv("COLUMNS");
    /* Two redraws and one clear: three carriage returns. */
    assert_int_equal(count_char(text, '\r'), 3);
    assert_non_null(strstr(text, "\rgeocode ["));
    assert_non_null(strstr(text, "]  25%  50/200 rows  25 rows/s  ETA 0:06\033[K"));
    assert_non_null(strstr(text, "] 100%  200/200 rows  91 rows/s  ETA 0:00\033[K"));
    const char *tail = "\r\033[Khotspot: geocode: 200 rows in 4.00 s (50 rows/s)\n";
    assert_true(len > strlen(tail));
    assert_string_equal(text + len - strlen(tail), tail);
    /* Bar cells: floor(0.25 * width) filled, then all filled; the line fits in 99 columns. */
    size_t hashes, width;
    bar_cells(text, 0, &hashes, &width);
    assert_true(width >= 10 && width <= 50);
    assert_int_equal(hashes, width / 4);
    bar_cells(text, 1, &hashes, &width);
    assert_int_equal(hashes, width);
    const char *first = strchr(text, '\r') + 1;
    assert_true((size_t)(strstr(first, "\033[K") - first) <= 99);
    free(text);
}

static void test_unknown_total_and_eta_format(void **state)
{
    (void)state;
    hs_log_set_progress(1);
    setenv("COLUMNS", "80", 1);
    capture_begin("progress-unknown.txt");
    hs_progress p;
    g_fake_s = 0.0;
    hs_progress_begin(&p, "ingest", 0);
    hs_progress_add(&p, 12345);
    g_fake_s = 5.0;
    hs_progress_draw(&p); /* no total: rows and rate only */
    hs_progress_end(&p, NULL);
    /* ETA over an hour: 1 row of 10,000 in 1 s -> 9,999 s = 2:46:39. */
    g_fake_s = 0.0;
    hs_progress_begin(&p, "slow", 10000);
    hs_progress_add(&p, 1);
    g_fake_s = 1.0;
    hs_progress_draw(&p);
    hs_progress_end(&p, NULL);
    size_t len;
    char *text = capture_end(&len);
    unsetenv("COLUMNS");
    assert_non_null(strstr(text, "\ringest  12,345 rows  2,469 rows/s\033[K"));
    assert_non_null(strstr(text, "ETA 2:46:39\033[K"));
    free(text);
}

static void test_only_owner_thread_draws(void **state)
{
    (void)state;
    hs_log_set_progress(1);
    capture_begin("progress-owner.txt");
    hs_progress p;
    g_fake_s = 0.0;
    hs_progress_begin(&p, "wards", 100);
    hs_progress_add(&p, 50);
    g_fake_s = 1.0;
    omp_set_num_threads(4);
#pragma omp parallel default(none) shared(p)
    {
        /* Every thread asks; only the thread that began the stage may draw, once. */
        hs_progress_draw(&p);
    }
    hs_progress_end(&p, NULL);
    size_t len;
    char *text = capture_end(&len);
    /* One redraw by the owner + one clear. */
    assert_int_equal(count_char(text, '\r'), 2);
    free(text);
}

/* The stage line is the same bytes at 1, 2 and 4 threads (atomic counter). */
static void test_counts_same_at_any_thread_count(void **state)
{
    (void)state;
    char *out[3];
    size_t len[3];
    const int threads[3] = {1, 2, 4};
    for (int k = 0; k < 3; k++) {
        omp_set_num_threads(threads[k]);
        capture_begin("progress-threads.txt");
        hs_progress p;
        g_fake_s = 10.0;
        hs_progress_begin(&p, "place", 100003);
        add_in_parallel(&p, 100003);
        g_fake_s = 12.0;
        hs_progress_end(&p, NULL);
        out[k] = capture_end(&len[k]);
    }
    /* 100,003 rows / 2 s = 50,001.5 -> 50,002 rows/s. */
    assert_string_equal(out[0], "hotspot: place: 100,003 rows in 2.00 s (50,002 rows/s)\n");
    for (int k = 1; k < 3; k++) {
        assert_int_equal(len[k], len[0]);
        assert_memory_equal(out[k], out[0], len[0]);
    }
    for (int k = 0; k < 3; k++)
        free(out[k]);
}

static void test_format_count(void **state)
{
    (void)state;
    char buf[32];
    assert_string_equal(hs_progress_format_count(0, buf, sizeof buf), "0");
    assert_string_equal(hs_progress_format_count(999, buf, sizeof buf), "999");
    assert_string_equal(hs_progress_format_count(1000, buf, sizeof buf), "1,000");
    assert_string_equal(hs_progress_format_count(1234567, buf, sizeof buf), "1,234,567");
    assert_string_equal(hs_progress_format_count(SIZE_MAX, buf, sizeof buf),
                        "18,446,744,073,709,551,615");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_not_a_terminal_one_line_per_stage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quiet_prints_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bar_is_rate_limited_and_cleared, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_total_and_eta_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_only_owner_thread_draws, setup, teardown),
        cmocka_unit_test_setup_teardown(test_counts_same_at_any_thread_count, setup, teardown),
        cmocka_unit_test(test_format_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
