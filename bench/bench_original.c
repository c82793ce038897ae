/* bench_original.dll: the "original" that section 6's front wraps, as cheap
 * as legacy_add, so that what the front adds is what is measured. */
__declspec(dllexport) int bench_original_add(int a, int b);

int bench_original_add(int a, int b)
{
    return a + b;
}

/* For the typed stubs' cost (bench_typed.c): four scalar arguments, as the
 * target is stated for, and a name the original does not read, so that the
 * bench can pass an unreadable one too. */
__declspec(dllexport) int bench_original_add4(int a, int b, int c, int d);
__declspec(dllexport) int bench_original_name(const char *name);

int bench_original_add4(int a, int b, int c, int d)
{
    return a + b + c + d;
}

int bench_original_name(const char *name)
{
    return name != 0;
}
