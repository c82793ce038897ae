/* myplugin.dll: what a program calls. The front exports these functions (see
 * myplugin.def); a program loads myplugin.dll and needs nothing else of twinshim. */
#ifndef MYPLUGIN_H
#define MYPLUGIN_H

/* Returns a + b at once; a record of the call goes to the worker, which
 * logs it on a thread of its own. */
int myplugin_add(int a, int b);

typedef int (*myplugin_add_function)(int a, int b);

#endif
