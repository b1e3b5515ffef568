#ifndef STSWATCH_CZLIB_SHIM_H
#define STSWATCH_CZLIB_SHIM_H

#include <zlib.h>

// inflateInit2 is a macro (it passes the library version and the struct size
// so zlib can refuse a mismatched header); Swift cannot call macros.
static inline int czlib_inflateInit2(z_streamp stream, int windowBits) {
    return inflateInit2(stream, windowBits);
}

// MAX_WBITS is a plain #define, but name the "detect gzip or zlib header" offset
// here so Swift never hard-codes zlib's window constants.
static inline int czlib_windowBitsAutoDetect(void) {
    return MAX_WBITS + 32;
}

#endif
