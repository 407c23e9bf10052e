/* fsutil.h - small file-system helpers for the CLI. */
#ifndef HS_CLI_FSUTIL_H
#define HS_CLI_FSUTIL_H

/* Remove a folder and everything in it (like rm -rf). Returns 0 on success or when the
 * folder does not exist. Does not follow symbolic links. */
int hs_remove_tree(const char *path);

/* 1 when path exists (file or folder). */
int hs_path_exists(const char *path);

#endif
