/* The fixture original's exports; see shapes.c. */
#ifndef SHIMGEN_E2E_SHAPES_H
#define SHIMGEN_E2E_SHAPES_H

struct shape_pair {
    long long x, y; /* 16 bytes: by reference on x64, on the stack on i686 */
};
struct shape_small {
    int a, b; /* 8 bytes: in one register on x64 */
};
struct shape_big {
    long long a, b, c, d; /* returned through a hidden pointer */
};

#ifdef SHAPES_IMPORT
#define SHAPES_API __declspec(dllimport)
#else
#define SHAPES_API
#endif

SHAPES_API extern long shapes_calls;
SHAPES_API double shape_floats(double a, float b, int c);
SHAPES_API struct shape_big shape_structs(struct shape_pair pair, struct shape_small small);
SHAPES_API double shape_variadic(int count, ...);
SHAPES_API long long shape_many(int a, int b, int c, int d, int e, double f, int g, long long h);
SHAPES_API int __stdcall shape_stdcall(int a, int b);
SHAPES_API int __fastcall shape_fastcall(int a, int b, int c);
SHAPES_API void shapes_bump(void);
SHAPES_API long shapes_count(void);

#endif
