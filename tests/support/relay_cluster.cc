#include "tests/support/relay_cluster.h"

#include <sys/stat.h>

#include <fstream>
#include <thread>

#include "crypto/certificate.h"
#include "crypto/random.h"
#include "tests/support/relay_probes.h"
#include "tests/support/scratch_folder.h"

namespace tether::test {

bool RelayCluster::Available() {
  return PrivatePostgres::Available() && PrivateRedis::Available();
}

Result<std::unique_ptr<RelayCluster>> RelayCluster::Start(
    size_t relays,
    const Changes& changes,
    const std::string& technician,
    const std::string& password,
    Certificates certificates) {
  auto cluster = std::unique_ptr<RelayCluster>(new RelayCluster());
  TETHER_TRY(dir, MakeScratchFolder("tether-cluster"));
  cluster->dir_ = *dir;
  TETHER_TRY(postgres, PrivatePostgres::Start());
  cluster->postgres_ = std::move(*postgres);
  TETHER_TRY(database, cluster->postgres_->CreateDatabase("cluster"));
  TETHER_TRY(redis, PrivateRedis::Start());
  cluster->redis_ = std::move(*redis);

  const auto secret = cluster->dir_ / "cluster.secret";
  {
    Bytes bytes(32);
    if (!crypto::RandomGenerator::Default().Fill(bytes))
      return MakeError("no randomness for the cluster key");
    std::ofstream out(secret, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    if (!out)
      return MakeError("cannot write " + secret.string());
  }
  ::chmod(secret.c_str(), 0600);
  cluster->common_ = {
      {"store.postgresql", "\"" + database->dsn + "\""},
      {"store.postgresql_password_file",
       "\"" + database->password_file.string() + "\""},
      {"cluster.listen", "\"127.0.0.1:0\""},
      {"cluster.redis", "\"" + cluster->redis_->url() + "\""},
      {"cluster.secret_file", "\"" + secret.string() + "\""},
  };
  // One certificate and key for every relay (the apps pin one key), or one
  // each, every relay pinning the others' keys.
  std::vector<Changes> tls;
  std::vector<std::string> pins;
  for (size_t i = 0; i < relays; ++i) {
    if (certificates == Certificates::kShared && i > 0) {
      tls.push_back(tls.front());
      continue;
    }
    TETHER_TRY(made,
               cluster->MakeCertificate(certificates == Certificates::kShared
                                            ? "cluster"
                                            : "relay" + std::to_string(i + 1)));
    tls.push_back(made->first);
    pins.push_back(made->second);
  }
  for (size_t i = 0; i < relays; ++i) {
    Changes own = tls[i];
    if (certificates == Certificates::kOwnCertificates) {
      std::string list = "[";
      for (size_t j = 0; j < pins.size(); ++j) {
        if (j == i)
          continue;
        list += (list.size() > 1 ? ", \"" : "\"") + pins[j] + "\"";
      }
      own.emplace_back("cluster.peer_fingerprints", list + "]");
    }
    own.insert(own.end(), changes.begin(), changes.end());
    std::string error;
    auto relay =
        cluster->StartRelay("relay" + std::to_string(i + 1), own, &error);
    if (!relay)
      return MakeError(error);
    cluster->relays_.push_back(std::move(relay));
  }
  if (!technician.empty() && relays > 0) {
    TETHER_RETURN_IF_ERROR(
        cluster->relays_[0]->AddTechnician(technician, "Tina", password));
  }
  for (const auto& relay : cluster->relays_) {
    if (!WaitForRedis(*relay))
      return MakeError("a relay did not reach Redis:\n" + relay->log());
  }
  return cluster;
}

RelayCluster::~RelayCluster() {
  relays_.clear();
  redis_.reset();
  postgres_.reset();
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

std::unique_ptr<RelayProcess> RelayCluster::StartRelay(const std::string& id,
                                                       const Changes& changes,
                                                       std::string* error) {
  RelayProcess::Shipped shipped{common_};
  shipped.changes.emplace_back("cluster.relay_id", "\"" + id + "\"");
  for (const auto& change : changes)
    shipped.changes.push_back(change);
  auto relay = std::make_unique<RelayProcess>(shipped);
  if (auto started = relay->Start(); !started) {
    *error = started.error().message + "\n" + relay->log();
    return nullptr;
  }
  return relay;
}

Result<RelayProcess*> RelayCluster::AddRelay(const std::string& id,
                                             const Changes& changes) {
  TETHER_TRY(made, MakeCertificate(id));
  Changes own = made->first;
  own.insert(own.end(), changes.begin(), changes.end());
  std::string error;
  auto relay = StartRelay(id, own, &error);
  if (!relay)
    return MakeError(error);
  if (!WaitForRedis(*relay))
    return MakeError("the relay did not reach Redis:\n" + relay->log());
  relays_.push_back(std::move(relay));
  return relays_.back().get();
}

Result<std::pair<RelayCluster::Changes, std::string>>
RelayCluster::MakeCertificate(const std::string& name) {
  const auto cert = dir_ / (name + ".crt");
  const auto key = dir_ / (name + ".key");
  TETHER_RETURN_IF_ERROR(crypto::CreateSelfSignedCertificate(
      cert, key, name + ".example.net", crypto::RandomGenerator::Default()));
  TETHER_TRY(pem, crypto::ReadPemFile(cert));
  TETHER_TRY(fingerprint, crypto::PublicKeyFingerprint(*pem));
  Changes changes = {{"tls.certificate", "\"" + cert.string() + "\""},
                     {"tls.private_key", "\"" + key.string() + "\""}};
  return std::make_pair(std::move(changes), *std::move(fingerprint));
}

bool RelayCluster::WaitForRedis(const RelayProcess& relay,
                                std::chrono::seconds within) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < deadline) {
    if (RelayMetric(relay, "cluster_redis_up") == 1)
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

long long RelayCluster::RelayMetric(const RelayProcess& relay,
                                    const std::string& name) {
  return Metric(relay.metrics_port(), "tether_relay_" + name);
}

}  // namespace tether::test
