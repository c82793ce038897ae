#include "../common/fault_injection.h"
#include "front_state.h"

/* Long enough for any path the loader accepts (32,767 characters). Attach and
 * detach are serialised by the loader lock, so one static buffer serves. */
#define PATH_CAPACITY 32768

/* Read by tools from the file (see SHIM_PROTOCOL_TAG), never by code. */
__attribute__((used)) static const char protocol_tag[] = SHIM_PROTOCOL_TAG;

static wchar_t sibling_path[PATH_CAPACITY];
static wchar_t own_path[PATH_CAPACITY];

static void set_status(int status, DWORD system_error)
{
    shim__front.status = status;
    shim__front.system_error = system_error;
}

/* Loads a file from the front's own folder by absolute path: the DLL search
 * path and the current directory are never consulted, so a planted copy
 * elsewhere cannot be picked up. Its own dependencies are searched for in
 * its folder, the program's folder, the system folder and the folders added
 * with AddDllDirectory, never in the current directory or on PATH:
 * LOAD_WITH_ALTERED_SEARCH_PATH would still search both, last. */
#define SIBLING_SEARCH (LOAD_LIBRARY_SEARCH_DLL_LOAD_DIR | LOAD_LIBRARY_SEARCH_DEFAULT_DIRS)

static int load_sibling(HINSTANCE self, const wchar_t *file_name, int missing_status, int failed_status,
                        HMODULE *module)
{
    int status = shim__sibling_path(self, file_name, sibling_path, PATH_CAPACITY);

    *module = NULL;
    if (status != SHIM_OK) {
        set_status(status, GetLastError());
        return status;
    }
    if (GetFileAttributesW(sibling_path) == INVALID_FILE_ATTRIBUTES) {
        set_status(missing_status, GetLastError());
        return missing_status;
    }
    *module = SHIM__FAULTABLE(LoadLibraryExW(sibling_path, NULL, SIBLING_SEARCH), NULL);
    if (*module == NULL) {
        set_status(failed_status, GetLastError());
        return failed_status;
    }
    return SHIM_OK;
}

/* Released on a helper thread: DllMain may not call FreeLibrary. */
static void abandon_module(HMODULE module)
{
    HANDLE thread = shim__module_release_thread(module, FALSE);

    if (thread != NULL)
        CloseHandle(thread);
    else
        shim__front_report("a module the front cannot use stays loaded", SHIM_E_SYSTEM, GetLastError(), NULL,
                           SHIM_REPORT_NOTICE);
}

static int connect_worker(HINSTANCE self, const shim_front_config *config)
{
    HMODULE worker = NULL;
    shim_worker_connect_function connect;
    const shim_worker_interface *worker_interface = NULL;
    shim_session_options options = { .worker_reference = NULL };
    DWORD own_path_length;
    int status;

    status = load_sibling(self, config->worker_file_name, SHIM_E_WORKER_MISSING, SHIM_E_WORKER_LOAD_FAILED,
                          &worker);
    if (status != SHIM_OK)
        return status;

    /* The failure value has GetProcAddress's type: Clang rejects a conditional
       that mixes a function pointer with NULL's void *. */
    connect = (shim_worker_connect_function)(void (*)(
        void))SHIM__FAULTABLE(GetProcAddress(worker, SHIM_WORKER_ENTRY_POINT), (FARPROC)NULL);
    if (connect == NULL) {
        set_status(SHIM_E_WORKER_INVALID, GetLastError());
        goto done;
    }
    status = connect(SHIM_PROTOCOL_VERSION, &worker_interface);
    if (status != SHIM_OK || worker_interface == NULL ||
        worker_interface->protocol_version != SHIM_PROTOCOL_VERSION) {
        /* Only our own negative codes pass through; anything else, positive
         * values included, is a worker that does not speak this protocol. */
        set_status(status < 0 && status != SHIM_E_INVALID_ARGUMENT ? status : SHIM_E_VERSION_MISMATCH, 0);
        goto done;
    }

    /* The session drops these references after its drain, the worker's last. */
    options.worker_reference = worker;
    /* The worker keeps this front's journals by its path. */
    own_path_length = GetModuleFileNameW(self, own_path, PATH_CAPACITY);
    if (own_path_length > 0 && own_path_length < PATH_CAPACITY)
        options.front_path = own_path;
    options.journal_folder = config->journal_folder;
    if (shim__front.original != NULL)
        options.handed_over_modules[options.handed_over_count++] = shim__front.original;
    status = worker_interface->start_session(&options, &shim__front.session);
    if (status != SHIM_OK) {
        set_status(status < 0 ? status : SHIM_E_WORKER_INVALID, status == SHIM_E_SYSTEM ? GetLastError() : 0);
        shim__front.session = NULL;
        goto done;
    }
    shim__front.worker = worker_interface;
    shim__front.post = worker_interface->post;
    set_status(SHIM_OK, 0);
    return SHIM_OK;

done:
    abandon_module(worker);
    return shim__front.status;
}

/* ntdll is always loaded: nothing is mapped under the loader lock. */
static void find_shutdown_flag(void)
{
    HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
    FARPROC address = ntdll != NULL ? GetProcAddress(ntdll, "RtlDllShutdownInProgress") : NULL;

    shim__front.shutdown_in_progress = (BOOLEAN(NTAPI *)(void))(void (*)(void))address;
}

/* GetProcAddress on a module that is already loaded maps nothing: allowed
 * under the loader lock. Every slot is filled before any export of the
 * front can be called, so stubs read them without a lookup or a lock. */
static int bind_original_exports(const shim_front_config *config)
{
    if (shim__front.original == NULL || config->bindings == NULL) {
        set_status(SHIM_E_NOT_FOUND, ERROR_MOD_NOT_FOUND);
        return SHIM_E_NOT_FOUND;
    }
    for (size_t i = 0; i < config->binding_count; i++) {
        const shim_front_binding *binding = &config->bindings[i];
        FARPROC address = GetProcAddress(shim__front.original, binding->name);

        if (address == NULL) {
            set_status(SHIM_E_NOT_FOUND, GetLastError());
            return SHIM_E_NOT_FOUND;
        }
        *binding->slot = address;
    }
    return SHIM_OK;
}

BOOL shim__front_attach(HINSTANCE self)
{
    const shim_front_config *config = &shim_front_configuration;

    /* Fails harmlessly for images with TLS callbacks (mingw's often have one). */
    DisableThreadLibraryCalls(self);
    shim__fault_begin(SHIM_FAULTS_ATTACH, L"TWINSHIM_FAULT_FRONT_AT");
    find_shutdown_flag();
    shim__front_clock_start();

    if (config->original_file_name != NULL &&
        load_sibling(self, config->original_file_name, SHIM_E_ORIGINAL_MISSING, SHIM_E_ORIGINAL_MISSING,
                     &shim__front.original) != SHIM_OK) {
        shim__front_report("cannot load the original DLL, refusing to attach", shim__front.status,
                           shim__front.system_error, sibling_path, SHIM_REPORT_FATAL);
        return FALSE;
    }
    if (config->binding_count != 0 && bind_original_exports(config) != SHIM_OK) {
        shim__front_report("the original DLL lacks an export this front calls, refusing to attach",
                           shim__front.status, shim__front.system_error, sibling_path, SHIM_REPORT_FATAL);
        /* DllMain may not call FreeLibrary: a thread drops the reference
         * once the loader lock is free. */
        if (shim__front.original != NULL)
            abandon_module(shim__front.original);
        return FALSE;
    }

    if (connect_worker(self, config) == SHIM_OK)
        return TRUE;

    if (config->require_worker) {
        shim__front_report("no worker, and this front requires one: refusing to attach", shim__front.status,
                           shim__front.system_error, sibling_path, SHIM_REPORT_FATAL);
        if (shim__front.original != NULL)
            abandon_module(shim__front.original);
        return FALSE;
    }
    /* A wrapper still serves the original's exports; a front that wraps
     * nothing only runs its own code, and its posts are refused. */
    shim__front_report(shim__front.original != NULL
                           ? "no worker, legacy exports pass through"
                           : "no worker, the front runs without one and sends nothing",
                       shim__front.status, shim__front.system_error, sibling_path, SHIM_REPORT_NOTICE);
    if (shim__front.original != NULL) {
        shim__front.original_release_thread = shim__module_release_thread(shim__front.original, TRUE);
        if (shim__front.original_release_thread == NULL)
            shim__front_report("the original DLL stays loaded after unload", SHIM_E_SYSTEM, GetLastError(),
                               NULL, SHIM_REPORT_NOTICE);
    }
    return TRUE;
}
