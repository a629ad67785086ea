#pragma once

// A relay cluster for tests and benches: one private PostgreSQL, one
// private Redis, and real tether-relay processes configured as one cluster
// ([cluster] relay_id "relay1", "relay2", ...): one certificate and key for
// all (what the apps pin; or, with kOwnCertificates, one each, the others'
// keys in peer_fingerprints), one cluster key, each relay's cluster listener
// on 127.0.0.1 and a free port.

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "tests/support/private_postgres.h"
#include "tests/support/private_redis.h"
#include "tests/support/relay_process.h"

namespace tether::test {

class RelayCluster {
 public:
  using Changes = std::vector<std::pair<std::string, std::string>>;
  enum class Certificates { kShared, kOwnCertificates };

  // Whether PostgreSQL and Redis are installed (scripts/setup).
  static bool Available();
  // Starts PostgreSQL and Redis, and `relays` relays with `changes` to
  // their relay.toml ("section.key" -> TOML value), each waiting until it
  // reaches Redis; adds the technician account `technician` to their store.
  static Result<std::unique_ptr<RelayCluster>> Start(
      size_t relays,
      const Changes& changes = {},
      const std::string& technician = "tina",
      const std::string& password = kPassword,
      Certificates certificates = Certificates::kShared);
  ~RelayCluster();  // kills the relays, stops the servers, removes files
  RelayCluster(const RelayCluster&) = delete;
  RelayCluster& operator=(const RelayCluster&) = delete;

  // One more relay in the same PostgreSQL and Redis, with a certificate of
  // its own and `changes`.
  Result<RelayProcess*> AddRelay(const std::string& id,
                                 const Changes& changes = {});

  RelayProcess& relay(size_t i) { return *relays_.at(i); }
  size_t size() const { return relays_.size(); }
  PrivateRedis& redis() { return *redis_; }
  PrivatePostgres& postgres() { return *postgres_; }

  // True once `relay` says Redis answers (tether_relay_cluster_redis_up).
  static bool WaitForRedis(
      const RelayProcess& relay,
      std::chrono::seconds within = std::chrono::seconds(10));
  // A relay's metric, "tether_relay_" + name.
  static long long RelayMetric(const RelayProcess& relay,
                               const std::string& name);

 private:
  RelayCluster() = default;
  std::unique_ptr<RelayProcess> StartRelay(const std::string& id,
                                           const Changes& changes,
                                           std::string* error);
  // Makes a certificate and key named `name` in the folder; returns the
  // changes that make a relay use them, and its key's fingerprint.
  Result<std::pair<Changes, std::string>> MakeCertificate(
      const std::string& name);

  std::filesystem::path dir_;
  std::unique_ptr<PrivatePostgres> postgres_;
  std::unique_ptr<PrivateRedis> redis_;
  Changes common_;
  std::vector<std::unique_ptr<RelayProcess>> relays_;
};

}  // namespace tether::test
