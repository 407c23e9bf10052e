/* replay.c - a main() for a fuzz target without libFuzzer: feeds every file named on the
 * command line, and every file of every folder named (sorted by name, hidden files skipped),
 * to LLVMFuzzerTestOneInput once. ctest runs it over the target's corpus, so each build
 * (gcc, and the sanitizer build) replays the seeds and fixed crash inputs.
 *
 * Must not: mutate inputs or time anything. A finding shows as the target's abort() or a
 * sanitizer report; the name of the input is printed before it runs. Exit 0 when every
 * input ran, 1 when an input cannot be read or there was no input at all (a missing corpus
 * must not pass silently).
 */
#include "fuzz_support.h"

#include <dirent.h>

/* Read path whole into a new buffer (caller frees); NULL when it cannot be read. */
static uint8_t *read_all(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    size_t got;
    while (buf != NULL && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            uint8_t *b = realloc(buf, 2 * cap);
            if (b == NULL) {
                free(buf);
                buf = NULL;
            } else {
                buf = b;
                cap *= 2;
            }
        }
    }
    if (buf != NULL && ferror(f)) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = n;
    return buf;
}

/* Run one input file; returns 0, or 1 when it cannot be read. */
static int run_file(const char *path)
{
    size_t size = 0;
    uint8_t *data = read_all(path, &size);
    if (data == NULL) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        return 1;
    }
    fprintf(stderr, "replay: %s (%zu bytes)\n", path, size);
    LLVMFuzzerTestOneInput(data, size);
    free(data);
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The visible entries of folder dir, sorted (caller frees each and the array); *n entries.
 * NULL with *n = 0 when it cannot be listed or is empty. */
static char **list_folder(const char *dir, size_t *n)
{
    *n = 0;
    DIR *d = opendir(dir);
    if (d == NULL)
        return NULL;
    char **names = NULL;
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            char **p = realloc(names, cap * sizeof *p);
            if (p == NULL)
                break;
            names = p;
        }
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        if ((names[*n] = malloc(len)) == NULL)
            break;
        snprintf(names[*n], len, "%s/%s", dir, e->d_name);
        (*n)++;
    }
    closedir(d);
    if (*n > 0)
        qsort(names, *n, sizeof *names, by_name);
    return names;
}

/* Run a file, or every regular file of a folder; *count receives the inputs run. */
static int run_path(const char *path, size_t *count)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: no such file or folder: %s\n", path);
        return 1;
    }
    if (!S_ISDIR(st.st_mode)) {
        (*count)++;
        return run_file(path);
    }
    size_t n;
    char **names = list_folder(path, &n);
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
            (*count)++;
            bad |= run_file(names[i]);
        }
        free(names[i]);
    }
    free(names);
    return bad;
}

int main(int argc, char **argv)
{
    size_t count = 0;
    int bad = 0;
    for (int i = 1; i < argc; i++)
        bad |= run_path(argv[i], &count);
    printf("replay: %zu input(s) ran\n", count);
    if (count == 0) {
        fprintf(stderr, "replay: no inputs: give corpus folders or files\n");
        return 1;
    }
    return bad;
}
