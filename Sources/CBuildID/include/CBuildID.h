#ifndef C_BUILD_ID_H
#define C_BUILD_ID_H

#include <stddef.h>

/// Copies the running executable's GNU build id (the linker's hash of its contents) into `out`;
/// returns its length, or 0 when the executable has none (or it does not fit).
size_t invoice_shadow_build_id(unsigned char *out, size_t capacity);

#endif
