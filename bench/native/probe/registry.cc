// The native mechanism registry: adding a mechanism is one file in mechanisms/ (defining
// `const Mechanism <name>` in namespace podipc::probe::mechanisms) plus one line below.
// binding.gyp compiles every .cc of this directory, and `podipc_probe --list` tells the
// harness what is here, so nothing else changes. Order as in bench/registry.ts.
#include "channel.h"

#define PODIPC_NATIVE_MECHANISMS(X) \
  /* loopback network */            \
  X(tcp)                            \
  X(udp)                            \
  /* shared volume */               \
  X(uds)                            \
  X(fifo)                           \
  /* IPC namespace */               \
  X(mq_posix)                       \
  X(mq_sysv)                        \
  X(sem)                            \
  X(shm_sysv)                       \
  X(shm_posix)

namespace podipc::probe {

namespace mechanisms {
#define PODIPC_DECLARE(name) extern const Mechanism name;
PODIPC_NATIVE_MECHANISMS(PODIPC_DECLARE)
#undef PODIPC_DECLARE
}  // namespace mechanisms

const std::vector<const Mechanism*>& Mechanisms() {
#define PODIPC_ADDRESS(name) &mechanisms::name,
  static const std::vector<const Mechanism*> all = {PODIPC_NATIVE_MECHANISMS(PODIPC_ADDRESS)};
#undef PODIPC_ADDRESS
  return all;
}

const Mechanism* FindMechanism(const std::string& id) {
  for (const Mechanism* m : Mechanisms()) {
    if (id == m->id) return m;
  }
  return nullptr;
}

}  // namespace podipc::probe
