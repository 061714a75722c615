// podipc_probe on a platform other than Linux: the native mechanisms are Linux system calls
// (futex, SysV and POSIX IPC as Linux has them), so the probe only says so. The harness
// treats a probe whose `--list` does not answer as unavailable.
#include <cstdio>

int main() {
  std::fputs("probe: the native probe runs on Linux only; use the node runtime here\n", stderr);
  return 2;
}
