/* The COM end-to-end fixture's client, unchanged between the run against
 * the original server and the run against the wrapped one. It registers
 * the server's class and type library for DLL (the path the test installed
 * it at), then uses it as a COM client does: CoCreateInstance, calls
 * through the vtable (early bound) and through IDispatch (late bound:
 * GetIDsOfNames and Invoke, which the server answers from its type
 * library), the version resource and strings through the server's module
 * handle, and CoFreeUnusedLibraries while an object lives, while the server
 * is locked, and after both are released. It unregisters before it exits.
 * Everything it prints on standard output must be the same for both runs.
 * Each --watch MODULE (a module the wrapped server loads beside it) gets
 * two lines on standard error: whether it was loaded while the object
 * lived, and whether it left within ten seconds of the server's unload.
 * Usage: com_client.exe DLL [--watch MODULE]...   Exit 0 when all went well. */
#define COBJMACROS
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include <windows.h>
#include <ole2.h>

#include "calc.h"
#include "calc_server.h"

#define MAX_WATCHED 4
/* Where the class and the type library are registered: see the test script
 * for why the machine's classes and not the user's. */
#define CLASSES_ROOT HKEY_LOCAL_MACHINE
#define CLASSES_ROOT_NAME "HKLM\\Software\\Classes"
#define CLASS_KEY L"Software\\Classes\\CLSID\\{3DBE4378-C155-4D17-A0C4-FD2A1510FC87}"
#define TYPELIB_KEY L"Software\\Classes\\TypeLib\\{630ABD60-0D3D-441F-B97D-C9CFC25AB613}"

static int failures;

static void expect(BOOL condition, const char *what)
{
    if (!condition) {
        printf("FAILED: %s\n", what);
        failures++;
    }
}

static BOOL set_value(const wchar_t *key_name, const wchar_t *value_name, const wchar_t *data)
{
    HKEY key;
    LONG status = RegCreateKeyExW(CLASSES_ROOT, key_name, 0, NULL, 0, KEY_SET_VALUE, NULL, &key, NULL);

    if (status != ERROR_SUCCESS)
        return FALSE;
    status = RegSetValueExW(key, value_name, 0, REG_SZ, (const BYTE *)data,
                            (DWORD)((wcslen(data) + 1) * sizeof *data));
    RegCloseKey(key);
    return status == ERROR_SUCCESS;
}

static BOOL register_server(const wchar_t *path, const wchar_t *folder)
{
    return set_value(CLASS_KEY, NULL, L"twinshim COM test calculator") &&
           set_value(CLASS_KEY L"\\InprocServer32", NULL, path) &&
           set_value(CLASS_KEY L"\\InprocServer32", L"ThreadingModel", L"Apartment") &&
           set_value(CLASS_KEY L"\\TypeLib", NULL, L"{630ABD60-0D3D-441F-B97D-C9CFC25AB613}") &&
           set_value(TYPELIB_KEY L"\\1.0", NULL, L"twinshim COM test calculator") &&
           set_value(TYPELIB_KEY L"\\1.0\\0\\win64", NULL, path) &&
           set_value(TYPELIB_KEY L"\\1.0\\FLAGS", NULL, L"0") &&
           set_value(TYPELIB_KEY L"\\1.0\\HELPDIR", NULL, folder);
}

static BOOL unregister_server(void)
{
    LONG class_status = RegDeleteTreeW(CLASSES_ROOT, CLASS_KEY);
    LONG typelib_status = RegDeleteTreeW(CLASSES_ROOT, TYPELIB_KEY);

    return (class_status == ERROR_SUCCESS || class_status == ERROR_FILE_NOT_FOUND) &&
           (typelib_status == ERROR_SUCCESS || typelib_status == ERROR_FILE_NOT_FOUND);
}

static void call_early_bound(ICalculator *calculator)
{
    LONG sum = 0, total = 0;
    BSTR greeting = NULL;
    HRESULT result;

    result = ICalculator_Add(calculator, 2, 3, &sum);
    printf("early bound: Add(2, 3) = %ld (0x%08lx)\n", sum, (unsigned long)result);
    expect(result == S_OK && sum == 5, "early-bound Add");
    ICalculator_put_Total(calculator, 7);
    ICalculator_Accumulate(calculator, 3);
    result = ICalculator_get_Total(calculator, &total);
    printf("early bound: Total = 7, Accumulate(3): Total = %ld (0x%08lx)\n", total, (unsigned long)result);
    expect(result == S_OK && total == 10, "early-bound Total");
    result = ICalculator_get_Greeting(calculator, &greeting);
    printf("early bound: Greeting = \"%ls\" (0x%08lx)\n", greeting != NULL ? greeting : L"",
           (unsigned long)result);
    expect(result == S_OK && greeting != NULL, "early-bound Greeting");
    SysFreeString(greeting);
}

static HRESULT invoke(IDispatch *dispatch, DISPID member, WORD flags, VARIANT *arguments, UINT count,
                      VARIANT *result)
{
    DISPID put_id = DISPID_PROPERTYPUT;
    DISPPARAMS parameters = { arguments, NULL, count, 0 };
    EXCEPINFO exception;
    UINT argument_error = 0;

    if (flags == DISPATCH_PROPERTYPUT) {
        parameters.rgdispidNamedArgs = &put_id;
        parameters.cNamedArgs = 1;
    }
    memset(&exception, 0, sizeof exception);
    if (result != NULL)
        VariantInit(result);
    return IDispatch_Invoke(dispatch, member, &IID_NULL, LOCALE_USER_DEFAULT, flags, &parameters, result,
                            &exception, &argument_error);
}

static void call_late_bound(IDispatch *dispatch)
{
    static const wchar_t *const names[] = { L"Add", L"Total", L"Accumulate", L"Greeting", L"NoSuchMember" };
    DISPID ids[5];
    VARIANT arguments[2], result;
    HRESULT status;

    for (int index = 0; index < 5; index++) {
        LPOLESTR name = (LPOLESTR)names[index];

        ids[index] = DISPID_UNKNOWN;
        status = IDispatch_GetIDsOfNames(dispatch, &IID_NULL, &name, 1, LOCALE_USER_DEFAULT, &ids[index]);
        printf("late bound: GetIDsOfNames(%ls) = %ld (0x%08lx)\n", names[index], ids[index],
               (unsigned long)status);
        expect(index == 4 ? status == DISP_E_UNKNOWNNAME : status == S_OK, "GetIDsOfNames");
    }

    /* Arguments go last to first. */
    V_VT(&arguments[0]) = VT_I4;
    V_I4(&arguments[0]) = 2;
    V_VT(&arguments[1]) = VT_I4;
    V_I4(&arguments[1]) = 40;
    status = invoke(dispatch, ids[0], DISPATCH_METHOD, arguments, 2, &result);
    printf("late bound: Invoke Add(40, 2) = %ld, type %u (0x%08lx)\n",
           V_VT(&result) == VT_I4 ? V_I4(&result) : -1, V_VT(&result), (unsigned long)status);
    expect(status == S_OK && V_VT(&result) == VT_I4 && V_I4(&result) == 42, "late-bound Add");

    V_I4(&arguments[0]) = 100;
    status = invoke(dispatch, ids[1], DISPATCH_PROPERTYPUT, arguments, 1, NULL);
    expect(status == S_OK, "late-bound Total put");
    V_I4(&arguments[0]) = 5;
    status = invoke(dispatch, ids[2], DISPATCH_METHOD, arguments, 1, NULL);
    expect(status == S_OK, "late-bound Accumulate");
    status = invoke(dispatch, ids[1], DISPATCH_PROPERTYGET, NULL, 0, &result);
    printf("late bound: Total = 100, Accumulate(5): Total = %ld (0x%08lx)\n",
           V_VT(&result) == VT_I4 ? V_I4(&result) : -1, (unsigned long)status);
    expect(status == S_OK && V_VT(&result) == VT_I4 && V_I4(&result) == 105, "late-bound Total");

    status = invoke(dispatch, ids[3], DISPATCH_PROPERTYGET, NULL, 0, &result);
    printf("late bound: Greeting = \"%ls\" (0x%08lx)\n", V_VT(&result) == VT_BSTR ? V_BSTR(&result) : L"",
           (unsigned long)status);
    expect(status == S_OK && V_VT(&result) == VT_BSTR, "late-bound Greeting");
    VariantClear(&result);
}

static void describe_type_info(IDispatch *dispatch)
{
    ITypeInfo *type_info = NULL;
    TYPEATTR *attributes = NULL;
    BSTR name = NULL, documentation = NULL;
    HRESULT status = IDispatch_GetTypeInfo(dispatch, 0, LOCALE_USER_DEFAULT, &type_info);

    expect(status == S_OK, "GetTypeInfo");
    if (status != S_OK)
        return;
    ITypeInfo_GetDocumentation(type_info, MEMBERID_NIL, &name, &documentation, NULL, NULL);
    if (ITypeInfo_GetTypeAttr(type_info, &attributes) == S_OK) {
        printf("type info: %ls \"%ls\", kind %d, %u functions, flags 0x%x\n", name != NULL ? name : L"",
               documentation != NULL ? documentation : L"", attributes->typekind, attributes->cFuncs,
               attributes->wTypeFlags);
        ITypeInfo_ReleaseTypeAttr(type_info, attributes);
    }
    SysFreeString(name);
    SysFreeString(documentation);
    ITypeInfo_Release(type_info);
}

static void describe_type_library(void)
{
    ITypeLib *library = NULL;
    BSTR name = NULL, documentation = NULL;
    HRESULT status = LoadRegTypeLib(&LIBID_TwinshimCalculatorLib, 1, 0, LOCALE_NEUTRAL, &library);

    printf("LoadRegTypeLib: 0x%08lx\n", (unsigned long)status);
    expect(status == S_OK, "LoadRegTypeLib");
    if (status != S_OK)
        return;
    ITypeLib_GetDocumentation(library, MEMBERID_NIL, &name, &documentation, NULL, NULL);
    printf("type library: %ls \"%ls\", %u type infos\n", name != NULL ? name : L"",
           documentation != NULL ? documentation : L"", ITypeLib_GetTypeInfoCount(library));
    SysFreeString(name);
    SysFreeString(documentation);
    ITypeLib_Release(library);
}

/* The version resource and strings as a host gets them from the module the
 * class was loaded from. */
static void describe_module_resources(HMODULE module)
{
    HRSRC found = FindResourceW(module, MAKEINTRESOURCEW(VS_VERSION_INFO), MAKEINTRESOURCEW(16));
    HGLOBAL loaded = found != NULL ? LoadResource(module, found) : NULL;
    const void *bytes = loaded != NULL ? LockResource(loaded) : NULL;
    DWORD size = found != NULL ? SizeofResource(module, found) : 0;
    static BYTE copy[4096];
    VS_FIXEDFILEINFO *fixed = NULL;
    wchar_t *description = NULL;
    UINT length = 0;

    expect(bytes != NULL && size <= sizeof copy, "the version resource");
    if (bytes != NULL && size <= sizeof copy) {
        /* VerQueryValue may write into the block: a copy, as GetFileVersionInfo gives. */
        memcpy(copy, bytes, size);
        if (VerQueryValueW(copy, L"\\", (void **)&fixed, &length) && fixed != NULL)
            printf("version resource: %lu bytes, file version %u.%u.%u.%u\n", size,
                   HIWORD(fixed->dwFileVersionMS), LOWORD(fixed->dwFileVersionMS),
                   HIWORD(fixed->dwFileVersionLS), LOWORD(fixed->dwFileVersionLS));
        else
            expect(FALSE, "the fixed file information");
        if (VerQueryValueW(copy, L"\\StringFileInfo\\040904b0\\FileDescription", (void **)&description,
                           &length))
            printf("version resource: FileDescription \"%ls\"\n", description);
        else
            expect(FALSE, "the FileDescription");
    }
    for (UINT id = CALC_STRING_GREETING; id <= CALC_STRING_FAREWELL; id++) {
        wchar_t text[128];
        int string_length = LoadStringW(module, id, text, 128);

        printf("string %u: %d \"%ls\"\n", id, string_length, string_length > 0 ? text : L"");
        expect(string_length > 0, "LoadStringW through the server's module handle");
    }
}

static const char *loaded_text(const wchar_t *module_name)
{
    return GetModuleHandleW(module_name) != NULL ? "still loaded" : "unloaded";
}

/* The wrapped server's companions leave on the worker's own thread after
 * the server's unload: waited for, with a deadline. */
static BOOL unloaded_within(const wchar_t *module_name, DWORD milliseconds)
{
    for (ULONGLONG start = GetTickCount64(); GetModuleHandleW(module_name) != NULL; Sleep(10))
        if (GetTickCount64() - start >= milliseconds)
            return FALSE;
    return TRUE;
}

/* The object, the factory lock and the unload, as one client's session. */
static void use_server(const wchar_t *module_name, wchar_t watched[][MAX_PATH], int watched_count)
{
    ICalculator *calculator = NULL;
    IDispatch *dispatch = NULL;
    IClassFactory *factory = NULL;
    HMODULE module;
    HRESULT status;

    status = CoCreateInstance(&CLSID_Calculator, NULL, CLSCTX_INPROC_SERVER, &IID_ICalculator,
                              (void **)&calculator);
    printf("CoCreateInstance: 0x%08lx\n", (unsigned long)status);
    expect(status == S_OK, "CoCreateInstance");
    if (status != S_OK)
        return;
    call_early_bound(calculator);
    status = ICalculator_QueryInterface(calculator, &IID_IDispatch, (void **)&dispatch);
    expect(status == S_OK, "QueryInterface(IDispatch)");
    if (status == S_OK) {
        call_late_bound(dispatch);
        describe_type_info(dispatch);
        IDispatch_Release(dispatch);
    }
    describe_type_library();

    module = GetModuleHandleW(module_name);
    printf("%ls while an object lives: %s\n", module_name, module != NULL ? "loaded" : "not loaded");
    expect(module != NULL, "the server's module is loaded");
    if (module != NULL)
        describe_module_resources(module);
    for (int index = 0; index < watched_count; index++)
        fprintf(stderr, "watch %ls: %s while an object lives\n", watched[index],
                GetModuleHandleW(watched[index]) != NULL ? "loaded" : "not loaded");

    CoFreeUnusedLibraries();
    printf("CoFreeUnusedLibraries while an object lives: %s\n", loaded_text(module_name));
    expect(GetModuleHandleW(module_name) != NULL, "kept while an object lives");

    status = CoGetClassObject(&CLSID_Calculator, CLSCTX_INPROC_SERVER, NULL, &IID_IClassFactory,
                              (void **)&factory);
    expect(status == S_OK, "CoGetClassObject");
    if (status == S_OK)
        IClassFactory_LockServer(factory, TRUE);
    printf("ICalculator::Release: %lu references left\n", ICalculator_Release(calculator));
    CoFreeUnusedLibraries();
    printf("CoFreeUnusedLibraries while the server is locked: %s\n", loaded_text(module_name));
    expect(GetModuleHandleW(module_name) != NULL, "kept while the server is locked");
    if (factory != NULL) {
        IClassFactory_LockServer(factory, FALSE);
        IClassFactory_Release(factory);
    }
    CoFreeUnusedLibraries();
    printf("CoFreeUnusedLibraries after the last release and unlock: %s\n", loaded_text(module_name));
    expect(GetModuleHandleW(module_name) == NULL, "unloaded once unused");

    for (int index = 0; index < watched_count; index++)
        fprintf(stderr, "watch %ls: %s\n", watched[index],
                unloaded_within(watched[index], 10000) ? "unloaded after the server's unload"
                                                       : "still loaded 10 s after the server's unload");
}

int main(int argc, char **argv)
{
    wchar_t path[MAX_PATH], folder[MAX_PATH], argument[MAX_PATH];
    wchar_t watched[MAX_WATCHED][MAX_PATH];
    int watched_count = 0;
    const wchar_t *module_name;
    wchar_t *last_separator;
    HRESULT status;

    if (argc < 2) {
        fprintf(stderr, "usage: com_client DLL [--watch MODULE]...\n");
        return 2;
    }
    for (int index = 2; index < argc; index++) {
        if (strcmp(argv[index], "--watch") != 0 || index + 1 >= argc || watched_count == MAX_WATCHED ||
            MultiByteToWideChar(CP_ACP, 0, argv[++index], -1, watched[watched_count++], MAX_PATH) == 0) {
            fprintf(stderr, "usage: com_client DLL [--watch MODULE]... (at most %d)\n", MAX_WATCHED);
            return 2;
        }
    }
    if (MultiByteToWideChar(CP_ACP, 0, argv[1], -1, argument, MAX_PATH) == 0 ||
        GetFullPathNameW(argument, MAX_PATH, path, NULL) - 1u >= MAX_PATH - 1u) {
        fprintf(stderr, "com_client: cannot make %s an absolute path\n", argv[1]);
        return 2;
    }
    wcscpy(folder, path);
    last_separator = wcsrchr(folder, L'\\');
    if (last_separator == NULL) {
        fprintf(stderr, "com_client: %ls has no folder\n", path);
        return 2;
    }
    *last_separator = L'\0';
    module_name = wcsrchr(path, L'\\') + 1;

    status = CoInitializeEx(NULL, COINIT_APARTMENTTHREADED);
    if (FAILED(status)) {
        fprintf(stderr, "com_client: CoInitializeEx: 0x%08lx\n", (unsigned long)status);
        return 1;
    }
    if (register_server(path, folder)) {
        printf("registered %ls's class and type library under " CLASSES_ROOT_NAME "\n", module_name);
        use_server(module_name, watched, watched_count);
    } else {
        expect(FALSE, "registering the server (error writing the registry)");
    }
    expect(unregister_server(), "unregistering the server");
    CoUninitialize();
    printf("%s\n", failures == 0 ? "com_client: all as expected" : "com_client: FAILED");
    return failures == 0 ? 0 : 1;
}
