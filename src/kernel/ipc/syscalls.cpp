// Placeholder handlers of the IPC and capability calls.
#include "kernel/task/syscall_dispatch.h"

#pragma GCC diagnostic error "-Wmissing-declarations"

namespace task {

i64 sys_ipc_buffer(u64) { return -i64(abi::kNoSys); }
i64 sys_endpoint_create(u64) { return -i64(abi::kNoSys); }
i64 sys_notification_create(u64) { return -i64(abi::kNoSys); }
i64 sys_cap_copy(u64, u64, u32) { return -i64(abi::kNoSys); }
i64 sys_cap_mint(u64, u64, u32, u64) { return -i64(abi::kNoSys); }
i64 sys_cap_narrow(u64, u64, u64, u64) { return -i64(abi::kNoSys); }
i64 sys_cap_move(u64, u64) { return -i64(abi::kNoSys); }
i64 sys_cap_delete(u64) { return -i64(abi::kNoSys); }
i64 sys_cap_revoke(u64) { return -i64(abi::kNoSys); }
i64 sys_cap_info(u64, u64) { return -i64(abi::kNoSys); }
i64 sys_ipc_send(arch::SyscallRequest&, u64, u64) { return -i64(abi::kNoSys); }
i64 sys_ipc_recv(arch::SyscallRequest&, u64, u32) { return -i64(abi::kNoSys); }
i64 sys_ipc_call(arch::SyscallRequest&, u64, u64) { return -i64(abi::kNoSys); }
i64 sys_ipc_reply(arch::SyscallRequest&, u64, u64) { return -i64(abi::kNoSys); }
i64 sys_ipc_reply_recv(arch::SyscallRequest&, u64, u64) { return -i64(abi::kNoSys); }
i64 sys_ipc_reply_save(u64) { return -i64(abi::kNoSys); }
i64 sys_notify_signal(u64, u64) { return -i64(abi::kNoSys); }
i64 sys_notify_wait(u64, u32) { return -i64(abi::kNoSys); }
i64 sys_notify_bind(u64) { return -i64(abi::kNoSys); }
i64 sys_ioport_enable(u64) { return -i64(abi::kNoSys); }
i64 sys_irq_bind(u64, u32, u64, u64) { return -i64(abi::kNoSys); }
i64 sys_irq_ack(u64, u32) { return -i64(abi::kNoSys); }
i64 sys_task_create(u64, u64) { return -i64(abi::kNoSys); }
i64 sys_task_give(u64, u64, u64, u32, u64) { return -i64(abi::kNoSys); }
i64 sys_task_start(u64, u32, u64, u32) { return -i64(abi::kNoSys); }
i64 sys_task_kill(u64, u64) { return -i64(abi::kNoSys); }
i64 sys_thread_list(u64, usize) { return -i64(abi::kNoSys); }
i64 sys_ipc_stats(u32, u64) { return -i64(abi::kNoSys); }

}  // namespace task
