// The bridge's floor: Debian's static libpython3.11, linked exactly as invoice-shadow links it,
// running as /usr/bin/python3 runs (the same main). What the legacy costs in here and not in
// /usr/bin/python3 is the library's, not the bridge's: `bench` measures the bridge against this.
#include <python3.11/Python.h>

int main(int argc, char **argv) { return Py_BytesMain(argc, argv); }
