/* datadir.h - where hotspot finds its data files (QML style templates, the demo job). */
#ifndef HS_CLI_DATADIR_H
#define HS_CLI_DATADIR_H

/* The data folder: $HOTSPOT_DATA_DIR when set; else <exe>/../share/hotspot when it holds
 * styles/ (an installed binary); else the source tree's data/ (a build-tree binary); else
 * the install prefix's share/hotspot. Never NULL; the text is static. */
const char *hs_data_dir(void);

#endif
