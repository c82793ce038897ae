/* A legacy DLL nobody may change: the library the example wraps. */
#define LEGACY_BUILDING
#include "legacy.h"

long legacy_counter = 0;

int legacy_add(int a, int b)
{
    legacy_counter++;
    return a + b;
}

int legacy_version(void)
{
    return 3;
}

int legacy_secret(void);
int legacy_secret(void)
{
    return 0x5ec7e7;
}
