#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

namespace tether::relay {

// How many of one thing (open connections, handshakes, sign-ins being
// checked) each source holds right now, for the per-source caps. A source
// is forgotten when its count drops to zero, so the map only holds sources
// with something open. Loop thread only.
class SourceCounts {
 public:
  // Counts one more for `source`; returns its new count.
  uint32_t Add(const std::string& source) { return ++counts_[source]; }
  // Counts one less (nothing for a source not counted).
  void Remove(const std::string& source) {
    auto it = counts_.find(source);
    if (it != counts_.end() && --it->second == 0)
      counts_.erase(it);
  }
  uint32_t count(const std::string& source) const {
    auto it = counts_.find(source);
    return it == counts_.end() ? 0 : it->second;
  }

 private:
  std::unordered_map<std::string, uint32_t> counts_;
};

}  // namespace tether::relay
