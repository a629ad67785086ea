#include "crypto/certificate.h"

#include <gtest/gtest.h>
#include <mbedtls/x509_crt.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "crypto/random.h"

namespace tether::crypto {
namespace {

namespace fs = std::filesystem;

class CertificateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (fs::temp_directory_path() / "tether-cert-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    cert_ = dir_ / "relay.crt";
    key_ = dir_ / "relay.key";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void CreateRelayCertificate() {
    auto created = CreateSelfSignedCertificate(cert_, key_, "relay.test",
                                               RandomGenerator::Default());
    ASSERT_TRUE(created.has_value()) << created.error().message;
  }

  std::string CertificateInfo() {
    auto pem = ReadPemFile(cert_);
    EXPECT_TRUE(pem.has_value());
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    int ret = mbedtls_x509_crt_parse(
        &crt, reinterpret_cast<const unsigned char*>(pem->c_str()),
        pem->size() + 1);
    EXPECT_EQ(ret, 0);
    char info[4096] = {};
    mbedtls_x509_crt_info(info, sizeof(info), "", &crt);
    mbedtls_x509_crt_free(&crt);
    return info;
  }

  fs::path dir_;
  fs::path cert_;
  fs::path key_;
};

// Runs a shell command; returns its stdout, or nullopt if it failed.
std::optional<std::string> RunCommand(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr)
    return std::nullopt;
  std::string out;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0)
    out.append(buffer, n);
  int status = pclose(pipe);
  if (status != 0)
    return std::nullopt;
  return out;
}

bool HaveOpenssl() {
  return std::system("command -v openssl >/dev/null 2>&1") == 0;
}

TEST_F(CertificateTest, CreatesCertificateAndKeyFiles) {
  CreateRelayCertificate();
  auto cert = ReadPemFile(cert_);
  auto key = ReadPemFile(key_);
  ASSERT_TRUE(cert.has_value()) << cert.error().message;
  ASSERT_TRUE(key.has_value()) << key.error().message;
  EXPECT_NE(cert->find("-----BEGIN CERTIFICATE-----"), std::string::npos);
  EXPECT_NE(key->find("PRIVATE KEY-----"), std::string::npos);
}

TEST_F(CertificateTest, KeyFileIsOwnerOnly) {
  CreateRelayCertificate();
  struct stat info {};
  ASSERT_EQ(stat(key_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
}

TEST_F(CertificateTest, CertificateFileIsWorldReadableNotWritable) {
  CreateRelayCertificate();
  struct stat info {};
  ASSERT_EQ(stat(cert_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0600, 0600u);
  EXPECT_EQ(info.st_mode & 0133,
            0u);  // never executable or group/other-writable
}

TEST_F(CertificateTest, RefusesToOverwriteExistingKey) {
  { std::ofstream(key_) << "precious"; }
  auto created = CreateSelfSignedCertificate(cert_, key_, "relay.test",
                                             RandomGenerator::Default());
  ASSERT_FALSE(created.has_value());
  EXPECT_NE(created.error().message.find("refusing to overwrite"),
            std::string::npos);
  auto content = RunCommand("cat '" + key_.string() + "'");
  ASSERT_TRUE(content.has_value());
  EXPECT_EQ(*content, "precious");
  EXPECT_FALSE(fs::exists(cert_));
}

TEST_F(CertificateTest, RefusesExistingCertificateAndLeavesNoKeyBehind) {
  { std::ofstream(cert_) << "old"; }
  auto created = CreateSelfSignedCertificate(cert_, key_, "relay.test",
                                             RandomGenerator::Default());
  ASSERT_FALSE(created.has_value());
  EXPECT_FALSE(fs::exists(key_));
}

TEST_F(CertificateTest, RejectsCommonNameThatIsNotAHostName) {
  const std::string kTooLong(65, 'a');
  const std::string_view kNames[] = {"",
                                     "relay,O=evil",
                                     "a=b",
                                     "with space",
                                     std::string_view("nul\0x", 5),
                                     kTooLong};
  for (std::string_view name : kNames) {
    auto created = CreateSelfSignedCertificate(cert_, key_, name,
                                               RandomGenerator::Default());
    EXPECT_FALSE(created.has_value()) << name;
  }
  EXPECT_FALSE(fs::exists(key_));
}

TEST_F(CertificateTest, IsEcdsaP256SignedWithSha256) {
  CreateRelayCertificate();
  std::string info = CertificateInfo();
  EXPECT_NE(info.find("ECDSA with SHA256"), std::string::npos) << info;
  EXPECT_NE(info.find("EC key size       : 256 bits"), std::string::npos)
      << info;
}

TEST_F(CertificateTest, NamesCommonNameInSubjectAndSubjectAltName) {
  CreateRelayCertificate();
  std::string info = CertificateInfo();
  EXPECT_NE(info.find("CN=relay.test"), std::string::npos) << info;
  size_t san = info.find("subject alt name");
  ASSERT_NE(san, std::string::npos) << info;
  EXPECT_NE(info.find("relay.test", san), std::string::npos) << info;
}

TEST_F(CertificateTest, IsValidForTenYears) {
  CreateRelayCertificate();
  std::string info = CertificateInfo();
  // "issued  on        : 2024-05-01 10:00:00"
  size_t issued = info.find("issued  on        : ");
  size_t expires = info.find("expires on        : ");
  ASSERT_NE(issued, std::string::npos) << info;
  ASSERT_NE(expires, std::string::npos) << info;
  int from = std::stoi(info.substr(issued + 20, 4));
  int to = std::stoi(info.substr(expires + 20, 4));
  EXPECT_EQ(to - from, 10);
}

TEST_F(CertificateTest, FingerprintIsSha256PrefixAnd64LowerHexDigits) {
  CreateRelayCertificate();
  auto pem = ReadPemFile(cert_);
  ASSERT_TRUE(pem.has_value());
  auto fingerprint = PublicKeyFingerprint(*pem);
  ASSERT_TRUE(fingerprint.has_value()) << fingerprint.error().message;
  ASSERT_EQ(fingerprint->size(), 7u + 64u);
  EXPECT_EQ(fingerprint->substr(0, 7), "sha256:");
  EXPECT_EQ(fingerprint->find_first_not_of("0123456789abcdef", 7),
            std::string::npos);
  EXPECT_TRUE(CheckFingerprintFormat(*fingerprint).has_value());
}

TEST_F(CertificateTest, FingerprintMatchesOpensslSpkiDigest) {
  if (!HaveOpenssl())
    GTEST_SKIP() << "openssl not installed";
  CreateRelayCertificate();
  auto pem = ReadPemFile(cert_);
  ASSERT_TRUE(pem.has_value());
  auto fingerprint = PublicKeyFingerprint(*pem);
  ASSERT_TRUE(fingerprint.has_value());
  auto out = RunCommand("openssl x509 -in '" + cert_.string() +
                        "' -pubkey -noout | openssl pkey -pubin -outform der"
                        " | sha256sum");
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(*fingerprint, "sha256:" + out->substr(0, 64));
}

TEST_F(CertificateTest, EachCertificateHasItsOwnKey) {
  CreateRelayCertificate();
  auto other_cert = dir_ / "other.crt";
  auto other_key = dir_ / "other.key";
  ASSERT_TRUE(CreateSelfSignedCertificate(other_cert, other_key, "relay.test",
                                          RandomGenerator::Default())
                  .has_value());
  auto a = PublicKeyFingerprint(*ReadPemFile(cert_));
  auto b = PublicKeyFingerprint(*ReadPemFile(other_cert));
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_NE(*a, *b);
}

TEST(PublicKeyFingerprintTest, RejectsTextThatIsNotACertificate) {
  auto fingerprint = PublicKeyFingerprint(
      "-----BEGIN CERTIFICATE-----\nAAAA\n"
      "-----END CERTIFICATE-----\n");
  ASSERT_FALSE(fingerprint.has_value());
  EXPECT_NE(fingerprint.error().message.find("cannot parse"),
            std::string::npos);
}

TEST(FingerprintFormatTest, AcceptsSha256PrefixAnd64HexDigitsInEitherCase) {
  std::string hex(64, 'a');
  EXPECT_TRUE(CheckFingerprintFormat("sha256:" + hex).has_value());
  EXPECT_TRUE(
      CheckFingerprintFormat("sha256:" + std::string(64, 'F')).has_value());
}

TEST(FingerprintFormatTest, RejectsMissingPrefixWrongLengthAndNonHex) {
  std::string hex(64, '0');
  for (const std::string& bad :
       {hex, "sha1:" + hex, "SHA256:" + hex, "sha256:" + hex.substr(1),
        "sha256:" + hex + "0", "sha256:" + hex.substr(1) + "g",
        std::string("sha256:"), std::string()}) {
    auto checked = CheckFingerprintFormat(bad);
    EXPECT_FALSE(checked.has_value()) << bad;
  }
}

TEST(FingerprintFormatTest, ParseReturnsTheDigestBytes) {
  auto digest = ParseFingerprint("sha256:" + std::string(62, '0') + "ff");
  ASSERT_TRUE(digest.has_value());
  EXPECT_EQ((*digest)[31], 0xff);
  EXPECT_EQ((*digest)[0], 0x00);
}

TEST_F(CertificateTest, ReadPemFileNamesAMissingFile) {
  auto pem = ReadPemFile(dir_ / "missing.pem");
  ASSERT_FALSE(pem.has_value());
  EXPECT_NE(pem.error().message.find("missing.pem"), std::string::npos);
}

TEST_F(CertificateTest, ReadPemFileRejectsOversizedFile) {
  auto path = dir_ / "big.pem";
  {
    std::ofstream out(path);
    out << "-----BEGIN CERTIFICATE-----\n";
    out << std::string(kMaxPemFileBytes, 'A');
  }
  auto pem = ReadPemFile(path);
  ASSERT_FALSE(pem.has_value());
  EXPECT_NE(pem.error().message.find("larger than"), std::string::npos);
}

TEST_F(CertificateTest, ReadPemFileRejectsFileWithoutPemBlock) {
  auto path = dir_ / "plain.txt";
  std::ofstream(path) << "hello";
  auto pem = ReadPemFile(path);
  ASSERT_FALSE(pem.has_value());
  EXPECT_NE(pem.error().message.find("no PEM block"), std::string::npos);
}

TEST_F(CertificateTest, ReadPemFileRejectsDirectory) {
  auto pem = ReadPemFile(dir_);
  ASSERT_FALSE(pem.has_value());
}

}  // namespace
}  // namespace tether::crypto
