/* synth.h - seeded generator of Canterbury-like districts (placeholder). */
#ifndef HS_SYNTH_H
#define HS_SYNTH_H
int hs_synth_version(void);
#endif
