/* The legacy library's header, as its program was compiled against it. */
#ifndef LEGACY_H
#define LEGACY_H

#ifdef LEGACY_BUILDING
#define LEGACY_DATA
#else
#define LEGACY_DATA __declspec(dllimport)
#endif

int legacy_add(int a, int b);
int legacy_version(void);
/* Exported by ordinal 3 only: int legacy_secret(void). */
#define LEGACY_SECRET_ORDINAL 3
/* How many times legacy_add has run in this process. */
extern LEGACY_DATA long legacy_counter;

#endif
