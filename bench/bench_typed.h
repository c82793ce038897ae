/* bench_original.dll's exports as a library header would declare them:
 * what `shimgen wrap --header` reads for bench_typed.c's front. */
#ifndef TWINSHIM_BENCH_TYPED_H
#define TWINSHIM_BENCH_TYPED_H

__declspec(dllimport) int bench_original_add(int a, int b);
__declspec(dllimport) int bench_original_add4(int a, int b, int c, int d);
__declspec(dllimport) int bench_original_name(const char *name);

#endif
