/* A program for the resource end-to-end test: loads DLL (by path) and prints
 * every resource it finds through that module handle (type, name, language,
 * size and a hash of the bytes, as FindResourceEx and LoadResource give
 * them), then LoadStringW of a few ids. Run against the original and against
 * the front, the two outputs must be the same.
 * Usage: resource_host.exe DLL */
#include <stdio.h>

#include <windows.h>

static HMODULE module;
static int resources;

/* FNV-1a: enough to tell two byte strings apart in a test. */
static unsigned long long hash_of(const unsigned char *bytes, DWORD size)
{
    unsigned long long hash = 1469598103934665603ull;

    for (DWORD at = 0; at < size; at++)
        hash = (hash ^ bytes[at]) * 1099511628211ull;
    return hash;
}

static void print_id(LPCWSTR id)
{
    if (IS_INTRESOURCE(id))
        printf("#%u", (unsigned)(ULONG_PTR)id);
    else
        printf("%ls", id);
}

static BOOL CALLBACK each_language(HMODULE unused, LPCWSTR type, LPCWSTR name, WORD language,
                                   LONG_PTR context)
{
    HRSRC found = FindResourceExW(module, type, name, language);
    HGLOBAL loaded = found != NULL ? LoadResource(module, found) : NULL;
    const unsigned char *bytes = loaded != NULL ? LockResource(loaded) : NULL;
    DWORD size = found != NULL ? SizeofResource(module, found) : 0;

    (void)unused;
    (void)context;
    print_id(type);
    printf(" ");
    print_id(name);
    printf(" language %u: ", language);
    if (bytes == NULL)
        printf("cannot be loaded (error %lu)\n", GetLastError());
    else
        printf("%lu bytes, hash %016llx\n", size, hash_of(bytes, size));
    resources++;
    return TRUE;
}

static BOOL CALLBACK each_name(HMODULE unused, LPCWSTR type, LPWSTR name, LONG_PTR context)
{
    (void)unused;
    return EnumResourceLanguagesW(module, type, name, each_language, context);
}

static BOOL CALLBACK each_type(HMODULE unused, LPWSTR type, LONG_PTR context)
{
    (void)unused;
    return EnumResourceNamesW(module, type, each_name, context);
}

int main(int argc, char **argv)
{
    static const UINT string_ids[] = { 1, 2, 17, 3 };

    if (argc != 2) {
        fprintf(stderr, "usage: resource_host DLL\n");
        return 2;
    }
    module = LoadLibraryA(argv[1]);
    if (module == NULL) {
        fprintf(stderr, "resource_host: cannot load %s (error %lu)\n", argv[1], GetLastError());
        return 1;
    }
    EnumResourceTypesW(module, each_type, 0);
    printf("resources: %d\n", resources);
    for (size_t index = 0; index < sizeof string_ids / sizeof string_ids[0]; index++) {
        wchar_t text[128];
        int length = LoadStringW(module, string_ids[index], text, 128);

        printf("string %u: %d \"%ls\"\n", string_ids[index], length, length > 0 ? text : L"");
    }
    FreeLibrary(module);
    return 0;
}
