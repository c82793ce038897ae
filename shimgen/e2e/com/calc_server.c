/* The COM end-to-end fixture: an in-process server of one class with one
 * dual interface (ICalculator). Its IDispatch is built on its type library
 * the way real servers do it: LoadRegTypeLib for its LIBID (so the type
 * library is read through the registered path, from the DLL's resources),
 * then DispGetIDsOfNames and DispInvoke on the interface's ITypeInfo.
 * DllCanUnloadNow answers from a real count of live objects and server
 * locks, so CoFreeUnusedLibraries unloads it only when nothing is in use. */
#define COBJMACROS
#define CONST_VTABLE
#include <windows.h>
#include <ole2.h>

#include "calc.h"
#include "calc_server.h"

static HINSTANCE server_module;
static LONG live_objects;
static LONG server_locks;

typedef struct calculator {
    ICalculator iface;
    LONG references;
    LONG total;
    ITypeInfo *type_info;
} calculator;

static calculator *calculator_from(ICalculator *iface)
{
    return (calculator *)iface;
}

static HRESULT STDMETHODCALLTYPE calculator_query_interface(ICalculator *iface, REFIID iid, void **object)
{
    if (object == NULL)
        return E_POINTER;
    if (IsEqualIID(iid, &IID_IUnknown) || IsEqualIID(iid, &IID_IDispatch) ||
        IsEqualIID(iid, &IID_ICalculator)) {
        *object = iface;
        ICalculator_AddRef(iface);
        return S_OK;
    }
    *object = NULL;
    return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE calculator_add_ref(ICalculator *iface)
{
    return (ULONG)InterlockedIncrement(&calculator_from(iface)->references);
}

static ULONG STDMETHODCALLTYPE calculator_release(ICalculator *iface)
{
    calculator *self = calculator_from(iface);
    LONG left = InterlockedDecrement(&self->references);

    if (left == 0) {
        ITypeInfo_Release(self->type_info);
        HeapFree(GetProcessHeap(), 0, self);
        InterlockedDecrement(&live_objects);
    }
    return (ULONG)left;
}

static HRESULT STDMETHODCALLTYPE calculator_get_type_info_count(ICalculator *iface, UINT *count)
{
    (void)iface;
    if (count == NULL)
        return E_POINTER;
    *count = 1;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE calculator_get_type_info(ICalculator *iface, UINT index, LCID locale,
                                                          ITypeInfo **type_info)
{
    (void)locale;
    if (type_info == NULL)
        return E_POINTER;
    *type_info = NULL;
    if (index != 0)
        return DISP_E_BADINDEX;
    *type_info = calculator_from(iface)->type_info;
    ITypeInfo_AddRef(*type_info);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE calculator_get_ids_of_names(ICalculator *iface, REFIID iid, LPOLESTR *names,
                                                             UINT count, LCID locale, DISPID *ids)
{
    (void)locale;
    if (!IsEqualIID(iid, &IID_NULL))
        return DISP_E_UNKNOWNINTERFACE;
    return DispGetIDsOfNames(calculator_from(iface)->type_info, names, count, ids);
}

static HRESULT STDMETHODCALLTYPE calculator_invoke(ICalculator *iface, DISPID member, REFIID iid, LCID locale,
                                                   WORD flags, DISPPARAMS *parameters, VARIANT *result,
                                                   EXCEPINFO *exception, UINT *argument_error)
{
    (void)locale;
    if (!IsEqualIID(iid, &IID_NULL))
        return DISP_E_UNKNOWNINTERFACE;
    return DispInvoke(iface, calculator_from(iface)->type_info, member, flags, parameters, result, exception,
                      argument_error);
}

static HRESULT STDMETHODCALLTYPE calculator_add(ICalculator *iface, LONG a, LONG b, LONG *sum)
{
    (void)iface;
    if (sum == NULL)
        return E_POINTER;
    *sum = a + b;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE calculator_get_total(ICalculator *iface, LONG *total)
{
    if (total == NULL)
        return E_POINTER;
    *total = calculator_from(iface)->total;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE calculator_put_total(ICalculator *iface, LONG total)
{
    calculator_from(iface)->total = total;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE calculator_accumulate(ICalculator *iface, LONG value)
{
    calculator_from(iface)->total += value;
    return S_OK;
}

/* From the server's own module: its string table, whichever name it has. */
static HRESULT STDMETHODCALLTYPE calculator_get_greeting(ICalculator *iface, BSTR *text)
{
    const wchar_t *resource = NULL;
    int length = LoadStringW(server_module, CALC_STRING_GREETING, (LPWSTR)&resource, 0);

    (void)iface;
    if (text == NULL)
        return E_POINTER;
    *text = NULL;
    if (length <= 0)
        return HRESULT_FROM_WIN32(GetLastError());
    *text = SysAllocStringLen(resource, (UINT)length);
    return *text != NULL ? S_OK : E_OUTOFMEMORY;
}

static const ICalculatorVtbl calculator_vtable = {
    calculator_query_interface, calculator_add_ref,
    calculator_release,         calculator_get_type_info_count,
    calculator_get_type_info,   calculator_get_ids_of_names,
    calculator_invoke,          calculator_add,
    calculator_get_total,       calculator_put_total,
    calculator_accumulate,      calculator_get_greeting,
};

/* The type library is found through the registry, as the client sees it.
 * A dual interface's GUID names its dispinterface; DispInvoke calls through
 * the vtable, so it gets the interface's own description (href -1). */
static HRESULT load_type_info(ITypeInfo **type_info)
{
    ITypeLib *library = NULL;
    ITypeInfo *dispatch_info = NULL;
    HREFTYPE vtable_reference;
    HRESULT result = LoadRegTypeLib(&LIBID_TwinshimCalculatorLib, 1, 0, LOCALE_NEUTRAL, &library);

    *type_info = NULL;
    if (FAILED(result))
        return result;
    result = ITypeLib_GetTypeInfoOfGuid(library, &IID_ICalculator, &dispatch_info);
    ITypeLib_Release(library);
    if (FAILED(result))
        return result;
    result = ITypeInfo_GetRefTypeOfImplType(dispatch_info, -1, &vtable_reference);
    if (SUCCEEDED(result))
        result = ITypeInfo_GetRefTypeInfo(dispatch_info, vtable_reference, type_info);
    ITypeInfo_Release(dispatch_info);
    return result;
}

static HRESULT STDMETHODCALLTYPE factory_query_interface(IClassFactory *iface, REFIID iid, void **object)
{
    if (object == NULL)
        return E_POINTER;
    if (IsEqualIID(iid, &IID_IUnknown) || IsEqualIID(iid, &IID_IClassFactory)) {
        *object = iface;
        IClassFactory_AddRef(iface);
        return S_OK;
    }
    *object = NULL;
    return E_NOINTERFACE;
}

/* The factory is static: it lives as long as the module, and a reference
 * to it keeps nothing loaded (LockServer does). */
static ULONG STDMETHODCALLTYPE factory_add_ref(IClassFactory *iface)
{
    (void)iface;
    return 2;
}

static ULONG STDMETHODCALLTYPE factory_release(IClassFactory *iface)
{
    (void)iface;
    return 1;
}

static HRESULT STDMETHODCALLTYPE factory_create_instance(IClassFactory *iface, IUnknown *outer, REFIID iid,
                                                         void **object)
{
    calculator *created;
    HRESULT result;

    (void)iface;
    if (object == NULL)
        return E_POINTER;
    *object = NULL;
    if (outer != NULL)
        return CLASS_E_NOAGGREGATION;
    created = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof *created);
    if (created == NULL)
        return E_OUTOFMEMORY;
    result = load_type_info(&created->type_info);
    if (FAILED(result)) {
        HeapFree(GetProcessHeap(), 0, created);
        return result;
    }
    created->iface.lpVtbl = &calculator_vtable;
    created->references = 1;
    InterlockedIncrement(&live_objects);
    result = ICalculator_QueryInterface(&created->iface, iid, object);
    ICalculator_Release(&created->iface);
    return result;
}

static HRESULT STDMETHODCALLTYPE factory_lock_server(IClassFactory *iface, BOOL lock)
{
    (void)iface;
    if (lock)
        InterlockedIncrement(&server_locks);
    else
        InterlockedDecrement(&server_locks);
    return S_OK;
}

static const IClassFactoryVtbl factory_vtable = {
    factory_query_interface, factory_add_ref, factory_release, factory_create_instance, factory_lock_server,
};

static IClassFactory factory = { &factory_vtable };

HRESULT WINAPI DllGetClassObject(REFCLSID clsid, REFIID iid, void **object)
{
    if (object == NULL)
        return E_POINTER;
    *object = NULL;
    if (!IsEqualCLSID(clsid, &CLSID_Calculator))
        return CLASS_E_CLASSNOTAVAILABLE;
    return IClassFactory_QueryInterface(&factory, iid, object);
}

HRESULT WINAPI DllCanUnloadNow(void)
{
    return live_objects == 0 && server_locks == 0 ? S_OK : S_FALSE;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, void *reserved)
{
    (void)reserved;
    if (reason == DLL_PROCESS_ATTACH) {
        server_module = instance;
        DisableThreadLibraryCalls(instance);
    }
    return TRUE;
}
