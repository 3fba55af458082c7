// See bad_pointers.h.
#include "lib/user/bad_pointers.h"

#include "lib/abi/syscall_info.h"
#include "lib/abi/syscall_table.h"
#include "lib/user/lstar.h"

namespace lstar {

namespace {

struct Bad {
    const char* name;
    u64 addr;
};
constexpr Bad kBad[] = {
    {"null", 0},
    {"kernel", 0xffffffff80000000},
    {"unmapped", 0x0000300000000000},
    {"noncanonical", 0x0000800000000000},
    {"noncanonical_high", 0xdead000000000000},
};

bool is_pointer(abi::ArgType t) { return t == abi::ArgType::kInPtr || t == abi::ArgType::kOutPtr; }

}  // namespace

u32 check_bad_pointers(const char* program, bool privileged) {
    static char good[64];
    u32 calls = 0, checked = 0, failed = 0;
    for (u64 nr = 0; nr < abi::kSysCount; nr++) {
        const abi::SyscallInfo& c = abi::kSyscalls[nr];
        if (c.flags & abi::kSysFlagNoReturn) continue;
        bool any = false;
        for (u32 a = 0; a < c.argc; a++) {
            if (!is_pointer(c.types[a])) continue;
            any = true;
            i64 want = (c.flags & abi::kSysFlagPrivileged) && !privileged ? -i64(abi::kPermission) : -i64(abi::kFault);
            char line[256];
            usize n = snprintf(line, sizeof line, "%s: bad-pointer call=%s arg=%s", program, c.name, c.arg_names[a]);
            bool ok = true;
            for (const Bad& b : kBad) {
                u64 args[6] = {};
                for (u32 i = 0; i < c.argc; i++) {
                    if (i == a) args[i] = b.addr;
                    else if (is_pointer(c.types[i])) args[i] = reinterpret_cast<u64>(good);
                    else if (c.types[i] == abi::ArgType::kUsize) args[i] = 16;
                }
                i64 r = syscall6(nr, args[0], args[1], args[2], args[3], args[4], args[5]);
                n += snprintf(line + n, sizeof line - n, " %s=%ld", b.name, r);
                ok = ok && r == want;
                checked++;
            }
            if (!ok) failed++;
            printf("%s ok=%u\n", line, ok);
        }
        if (any) calls++;
    }
    printf("%s: bad-pointers calls=%u checked=%u failed=%u\n", program, calls, checked, failed);
    return failed;
}

}  // namespace lstar
