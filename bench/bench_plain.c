/* bench_plain.dll: a DLL that does nothing, built like the others. The cost
 * of loading and freeing it is what a full twinshim lifecycle is compared to. */
__declspec(dllexport) int bench_plain_nothing(void);

int bench_plain_nothing(void)
{
    return 0;
}
