#pragma once

// What a test or a bench reads off a running relay from the outside: plain
// TCP connections from any 127.0.0.0/8 source (Linux routes the whole block
// to loopback without setup), its Prometheus /metrics, and a process's
// resident memory.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace tether::test {

// A plain TCP connection to 127.0.0.1:`port` that never speaks TLS, bound
// to `source_ip` if given. -1 on failure.
int RawConnect(uint16_t port, const char* source_ip = nullptr);

// True once the other end closed `fd` (EOF or reset), false at the deadline.
bool WaitForClose(int fd, std::chrono::steady_clock::time_point deadline);

// GET http://127.0.0.1:port/path; the whole response ("" on failure).
std::string HttpGet(uint16_t port, const std::string& path);

// The value of one sample on the relay's /metrics, or -1.
long long Metric(uint16_t metrics_port, const std::string& name);

// VmRSS of a process in KiB, or -1.
long long RssKiB(pid_t pid);

// "127.<block>.<x>.<y>": the n-th address (from 0) of a block of its own,
// so each source's per-address limits start fresh.
std::string SourceAddress(int block, int n);

}  // namespace tether::test
