/* For the end-to-end host programs: what stays loaded from the program's own
 * folder after it frees the DLL it tested. */
#ifndef SHIMGEN_E2E_HOST_MODULES_H
#define SHIMGEN_E2E_HOST_MODULES_H

/* The worker drains and unloads itself, and frees the original, after
 * FreeLibrary(front) returns: waits for every module other than the program
 * to leave its folder, for at most ten seconds, then prints
 * "after FreeLibrary: modules from this folder still loaded: N" and the name
 * of each one left. Returns N, or -1 when the modules cannot be listed. */
int host_modules_left_after_free(void);

#endif
