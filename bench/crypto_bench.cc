// Crypto micro-benchmarks: the ceilings the relay and the apps work under on
// this machine. Run: build/<dir>/bin/tether-bench-crypto (see bench/README.md).
//
//  - AES-256-GCM through mbedTLS directly (the raw ceiling), through
//    crypto::E2eChannel::Seal (the apps' end-to-end records), and as a TLS
//    record round trip in memory (client TlsEngine Write -> TakeOutgoing ->
//    server FeedIncoming -> Read), which is what the relay pays per leg,
//    under TLS 1.3 (/13) and TLS 1.2 (/12).
//  - One full TLS handshake in memory (ECDHE-ECDSA P-256 certificate, X25519
//    key exchange, pinned client), TLS 1.3 and TLS 1.2.
//  - The E2E X25519 commit/reveal handshake, all four steps.
//  - argon2id HashPassword at the default parameters (m=64 MiB, t=3, p=1).

#include <benchmark/benchmark.h>
#include <mbedtls/gcm.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "base/bytes.h"
#include "crypto/certificate.h"
#include "crypto/e2e_channel.h"
#include "crypto/e2e_handshake.h"
#include "crypto/password_hash.h"
#include "crypto/random.h"
#include "crypto/tls_config.h"
#include "crypto/tls_engine.h"

namespace tether::bench {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "tether-bench-crypto: %s\n", what.c_str());
  std::exit(1);
}

template <typename T>
T Check(Result<T> result, const char* what) {
  if (!result)
    Die(std::string(what) + ": " + result.error().message);
  return std::move(result).value();
}

// A server certificate made once per process, in a temporary directory.
struct TestIdentity {
  std::string certificate_pem;
  std::string private_key_pem;
  std::string fingerprint;
};

const TestIdentity& Identity() {
  static const TestIdentity identity = [] {
    char pattern[] = "/tmp/tether-bench-crypto-XXXXXX";
    const fs::path dir = mkdtemp(pattern);
    auto& random = crypto::RandomGenerator::Default();
    if (!crypto::CreateSelfSignedCertificate(dir / "c.crt", dir / "c.key",
                                             "bench.invalid", random)) {
      Die("cannot create a certificate");
    }
    TestIdentity made;
    made.certificate_pem = Check(crypto::ReadPemFile(dir / "c.crt"), "cert");
    made.private_key_pem = Check(crypto::ReadPemFile(dir / "c.key"), "key");
    made.fingerprint = Check(crypto::PublicKeyFingerprint(made.certificate_pem),
                             "fingerprint");
    std::error_code ec;
    fs::remove_all(dir, ec);
    return made;
  }();
  return identity;
}

// Accepts both versions, so the client decides which is measured.
std::shared_ptr<const crypto::TlsConfig> ServerConfig() {
  static const auto config = [] {
    crypto::TlsServerOptions options;
    options.certificate_pem = Identity().certificate_pem;
    options.private_key_pem = Identity().private_key_pem;
    options.min_version = crypto::TlsVersion::kTls12;
    return Check(crypto::TlsConfig::CreateServer(
                     options, crypto::RandomGenerator::Default()),
                 "server config");
  }();
  return config;
}

// `version` is 13 or 12, the benchmarks' second argument.
std::shared_ptr<const crypto::TlsConfig> ClientConfig(int64_t version) {
  auto make = [](crypto::TlsVersion max) {
    crypto::TlsClientOptions options;
    options.pinned_fingerprint = Identity().fingerprint;
    options.min_version = crypto::TlsVersion::kTls12;
    options.max_version = max;
    return Check(crypto::TlsConfig::CreateClient(
                     options, crypto::RandomGenerator::Default()),
                 "client config");
  };
  static const auto tls13 = make(crypto::TlsVersion::kTls13);
  static const auto tls12 = make(crypto::TlsVersion::kTls12);
  return version == 12 ? tls12 : tls13;
}

struct EnginePair {
  std::unique_ptr<crypto::TlsEngine> client;
  std::unique_ptr<crypto::TlsEngine> server;
};

// Runs a full handshake between two in-memory engines.
EnginePair Handshake(int64_t version) {
  EnginePair pair{
      Check(crypto::TlsEngine::Create(ClientConfig(version)), "client"),
      Check(crypto::TlsEngine::Create(ServerConfig()), "server")};
  bool client_done = false;
  bool server_done = false;
  for (int round = 0; round < 32 && !(client_done && server_done); ++round) {
    client_done = Check(pair.client->Handshake(), "client handshake");
    pair.server->FeedIncoming(pair.client->TakeOutgoing());
    server_done = Check(pair.server->Handshake(), "server handshake");
    pair.client->FeedIncoming(pair.server->TakeOutgoing());
  }
  if (!client_done || !server_done)
    Die("handshake did not complete");
  return pair;
}

// The raw ceiling: one mbedtls_gcm_crypt_and_tag per record.
void BM_MbedtlsAes256GcmSeal(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  Bytes key(32, 0x42), iv(12, 0x24), plain(size, 0x5a), out(size), tag(16);
  mbedtls_gcm_context gcm;
  mbedtls_gcm_init(&gcm);
  if (mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key.data(), 256) != 0) {
    Die("gcm setkey");
  }
  for (auto _ : state) {
    ++iv[11];
    mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_ENCRYPT, size, iv.data(),
                              iv.size(), nullptr, 0, plain.data(), out.data(),
                              tag.size(), tag.data());
    benchmark::DoNotOptimize(out.data());
  }
  mbedtls_gcm_free(&gcm);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
}
BENCHMARK(BM_MbedtlsAes256GcmSeal)->Arg(1 << 10)->Arg(16 << 10)->Arg(64 << 10);

// The apps' end-to-end record layer.
void BM_E2eChannelSeal(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  crypto::E2eKeys keys{crypto::SecretBytes(Bytes(32, 1)),
                       crypto::SecretBytes(Bytes(32, 2))};
  auto channel = Check(crypto::E2eChannel::Create(std::move(keys)), "channel");
  const Bytes plain(size, 0x5a);
  for (auto _ : state) {
    auto record = channel->Seal(plain);
    if (!record)
      Die("seal: " + record.error().message);
    benchmark::DoNotOptimize(record->data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
}
BENCHMARK(BM_E2eChannelSeal)->Arg(1 << 10)->Arg(16 << 10)->Arg(64 << 10);

// One TLS leg in memory: encrypt on one side, decrypt on the other. The
// relay does this once per direction per hop (decrypt in, encrypt out).
void BM_TlsRecordRoundTrip(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  EnginePair pair = Handshake(state.range(1));
  const Bytes plain(size, 0x5a);
  Bytes out(16 << 10);
  for (auto _ : state) {
    if (!pair.client->Write(plain))
      Die("write");
    pair.server->FeedIncoming(pair.client->TakeOutgoing());
    size_t received = 0;
    while (received < size) {
      auto n = pair.server->Read(out);
      if (!n || *n == 0)
        Die("read");
      received += *n;
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
  state.SetLabel(pair.client->protocol_version() + " " +
                 pair.client->cipher_suite());
}
BENCHMARK(BM_TlsRecordRoundTrip)
    ->ArgsProduct({{1 << 10, 16 << 10, 64 << 10}, {13, 12}});

void BM_TlsHandshakeInMemory(benchmark::State& state) {
  (void)ServerConfig();
  (void)ClientConfig(state.range(0));
  std::string label;
  for (auto _ : state) {
    EnginePair pair = Handshake(state.range(0));
    benchmark::DoNotOptimize(pair.client.get());
    label = pair.client->protocol_version();
  }
  state.SetLabel(label);
}
BENCHMARK(BM_TlsHandshakeInMemory)
    ->Arg(13)
    ->Arg(12)
    ->Unit(benchmark::kMillisecond);

void BM_E2eHandshake(benchmark::State& state) {
  auto& random = crypto::RandomGenerator::Default();
  const crypto::E2eContext context{1, "12345678"};
  for (auto _ : state) {
    auto supporter = Check(crypto::E2eHandshake::Create(
                               crypto::E2eRole::kSupporter, context, random),
                           "create");
    auto customer = Check(crypto::E2eHandshake::Create(
                              crypto::E2eRole::kCustomer, context, random),
                          "create");
    Bytes commitment = Check(supporter->SupporterCommit(), "commit");
    Bytes customer_key =
        Check(customer->CustomerRespond(commitment), "respond");
    Bytes supporter_key =
        Check(supporter->SupporterReveal(customer_key), "reveal");
    Check(customer->CustomerVerify(supporter_key), "verify");
    benchmark::DoNotOptimize(supporter->sas());
  }
}
BENCHMARK(BM_E2eHandshake)->Unit(benchmark::kMicrosecond);

void BM_Argon2idHashPasswordDefault(benchmark::State& state) {
  auto& random = crypto::RandomGenerator::Default();
  for (auto _ : state) {
    auto hash = crypto::HashPassword("correct horse battery staple", random);
    if (!hash)
      Die("hash: " + hash.error().message);
    benchmark::DoNotOptimize(hash->data());
  }
}
BENCHMARK(BM_Argon2idHashPasswordDefault)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(5);

}  // namespace
}  // namespace tether::bench

BENCHMARK_MAIN();
