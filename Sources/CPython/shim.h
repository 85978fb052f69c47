#ifndef INVOICE_SHADOW_CPYTHON_SHIM_H
#define INVOICE_SHADOW_CPYTHON_SHIM_H
// <sys/select.h> must come before Python.h: otherwise fd_set is defined in this module and in
// Dispatch's, and the build fails as soon as Foundation is imported beside CPython.
#include <sys/select.h>
#define PY_SSIZE_T_CLEAN
// Found without -I: Python.h's own quoted includes resolve beside it in /usr/include/python3.11.
#include <python3.11/Python.h>
#endif
