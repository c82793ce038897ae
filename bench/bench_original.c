/* bench_original.dll: the "original" that section 6's front wraps, as cheap
 * as legacy_add, so that what the front adds is what is measured. */
__declspec(dllexport) int bench_original_add(int a, int b);

int bench_original_add(int a, int b)
{
    return a + b;
}
