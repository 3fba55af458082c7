// operator new declarations, std::align_val_t and placement new. <new> is one
// of the few headers of the C++ library's freestanding subset: it is header-only
// and safe in the kernel, and it keeps host tests on the same declarations.
#pragma once

#include <new>
