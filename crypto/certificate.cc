#include "crypto/certificate.h"

#include <cstdio>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/bignum.h>
#include <mbedtls/ecp.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <vector>

#include "base/bytes.h"
#include "crypto/mbedtls_error.h"
#include "crypto/random.h"
#include "crypto/scoped_mbedtls.h"
#include "crypto/secure_memory.h"

namespace tether::crypto {
namespace {

// X.520 ub-common-name; also keeps the hand-built SAN below in short-form
// DER lengths.
constexpr size_t kMaxCommonNameLength = 64;
constexpr int kValidityYears = 10;
// Big enough for an ECDSA P-256 or RSA-4096 SubjectPublicKeyInfo.
constexpr size_t kMaxPublicKeyDer = 1024;

// Owns a file descriptor; closes it on every path.
class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  int get() const { return fd_; }
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

Result<void> CheckCommonName(std::string_view name) {
  if (name.empty() || name.size() > kMaxCommonNameLength) {
    return MakeError("certificate common name must be 1 to 64 characters");
  }
  // The name becomes "CN=<name>" for mbedtls_x509_string_to_names, where ','
  // '=' and '\\' have meaning; a host name needs none of them.
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
    if (!ok) {
      return MakeError("certificate common name '" + std::string(name) +
                       "' must be a host name (letters, digits, '-', '.', "
                       "'_')");
    }
  }
  return {};
}

// "YYYYMMDDhhmmss" in UTC, the form mbedtls_x509write_crt_set_validity wants.
std::string X509Time(const std::tm& tm) {
  char out[32];
  size_t len = std::strftime(out, sizeof(out), "%Y%m%d%H%M%S", &tm);
  return std::string(out, len);
}

// subjectAltName ::= SEQUENCE { dNSName [2] IMPLICIT IA5String }. Built by
// hand because mbedtls_x509write_crt_set_subject_alternative_name only
// exists from mbedTLS 3.5; this works with every version.
Bytes SubjectAltNameDer(std::string_view dns_name) {
  Bytes der;
  der.push_back(0x30);  // SEQUENCE
  der.push_back(static_cast<uint8_t>(dns_name.size() + 2));
  der.push_back(0x82);  // [2] context-specific, primitive
  der.push_back(static_cast<uint8_t>(dns_name.size()));
  der.insert(der.end(), dns_name.begin(), dns_name.end());
  return der;
}

Result<void> WriteAll(int fd,
                      ByteSpan data,
                      const std::filesystem::path& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return MakeError("cannot write " + path.string() + ": " +
                       std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    return MakeError("cannot sync " + path.string() + ": " +
                     std::strerror(errno));
  }
  return {};
}

// Creates `path` exclusively with `mode`: the mode applies from the first
// byte, and an existing file (or a symlink planted in its place) is never
// followed or overwritten.
Result<void> CreateExclusive(const std::filesystem::path& path,
                             ByteSpan data,
                             mode_t mode) {
  ScopedFd fd(::open(path.c_str(),
                     O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                     mode));
  if (fd.get() < 0) {
    int error = errno;
    if (error == EEXIST) {
      return MakeError(path.string() +
                       " already exists; refusing to overwrite it");
    }
    return MakeError("cannot create " + path.string() + ": " +
                     std::strerror(error));
  }
  auto written = WriteAll(fd.get(), data, path);
  if (!written) {
    ::unlink(path.c_str());
    return written;
  }
  if (::close(fd.Release()) != 0) {
    int error = errno;
    ::unlink(path.c_str());
    return MakeError("cannot close " + path.string() + ": " +
                     std::strerror(error));
  }
  return {};
}

}  // namespace

Result<void> CreateSelfSignedCertificate(const std::filesystem::path& cert_path,
                                         const std::filesystem::path& key_path,
                                         std::string_view common_name,
                                         RandomGenerator& random) {
  if (auto ok = CheckCommonName(common_name); !ok)
    return ok;
  // Checked up front so a refusal leaves nothing behind; O_EXCL below still
  // closes the race with another writer.
  std::error_code ec;
  if (std::filesystem::exists(std::filesystem::symlink_status(key_path, ec))) {
    return MakeError(key_path.string() +
                     " already exists; refusing to overwrite it");
  }
  if (std::filesystem::exists(std::filesystem::symlink_status(cert_path, ec))) {
    return MakeError(cert_path.string() +
                     " already exists; refusing to overwrite it");
  }

  auto* rng = &RandomGenerator::MbedtlsCallback;
  void* rng_state = &random;

  ScopedPk key;
  int ret =
      mbedtls_pk_setup(key.get(), mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
  if (ret == 0) {
    ret = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1,
                              mbedtls_pk_ec(*key.get()), rng, rng_state);
  }
  if (ret != 0) {
    return MakeError("cannot generate an ECDSA P-256 key: " +
                     MbedtlsErrorText(ret));
  }

  // A positive random 128-bit serial: RFC 5280 wants it unique per issuer,
  // and a self-signed issuer has no counter to take it from.
  uint8_t serial[16];
  if (auto filled = random.Fill(serial); !filled)
    return filled;
  serial[0] &= 0x7F;
  serial[0] |= 0x01;

  std::time_t now = std::time(nullptr);
  // An hour of slack for clients whose clocks run a little behind.
  std::time_t start = now - 3600;
  std::tm not_before{};
  std::tm not_after{};
  if (gmtime_r(&start, &not_before) == nullptr) {
    return MakeError("cannot read the current time");
  }
  not_after = not_before;
  not_after.tm_year += kValidityYears;
  // 29 February plus ten years is not a date.
  if (not_after.tm_mon == 1 && not_after.tm_mday == 29)
    not_after.tm_mday = 28;

  std::string subject = "CN=" + std::string(common_name);
  Bytes san = SubjectAltNameDer(common_name);

  ScopedX509WriteCrt writer;
  mbedtls_x509write_cert* crt = writer.get();
  mbedtls_x509write_crt_set_version(crt, MBEDTLS_X509_CRT_VERSION_3);
  mbedtls_x509write_crt_set_md_alg(crt, MBEDTLS_MD_SHA256);
  mbedtls_x509write_crt_set_subject_key(crt, key.get());
  mbedtls_x509write_crt_set_issuer_key(crt, key.get());
  ret = mbedtls_x509write_crt_set_subject_name(crt, subject.c_str());
  if (ret == 0) {
    ret = mbedtls_x509write_crt_set_issuer_name(crt, subject.c_str());
  }
  if (ret == 0) {
    ret = mbedtls_x509write_crt_set_serial_raw(crt, serial, sizeof(serial));
  }
  if (ret == 0) {
    ret = mbedtls_x509write_crt_set_validity(crt, X509Time(not_before).c_str(),
                                             X509Time(not_after).c_str());
  }
  // An end-entity certificate: clients may trust it directly (as a pinned
  // key or as its own CA file), but it can sign nothing else.
  if (ret == 0)
    ret = mbedtls_x509write_crt_set_basic_constraints(crt, 0, -1);
  if (ret == 0) {
    ret = mbedtls_x509write_crt_set_key_usage(
        crt, MBEDTLS_X509_KU_DIGITAL_SIGNATURE);
  }
  if (ret == 0) {
    ret = mbedtls_x509write_crt_set_extension(
        crt, MBEDTLS_OID_SUBJECT_ALT_NAME,
        MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME), /*critical=*/0,
        san.data(), san.size());
  }
  if (ret != 0) {
    return MakeError("cannot build the certificate: " + MbedtlsErrorText(ret));
  }

  std::vector<uint8_t> cert_pem(4096);
  ret = mbedtls_x509write_crt_pem(crt, cert_pem.data(), cert_pem.size(), rng,
                                  rng_state);
  if (ret != 0) {
    return MakeError("cannot sign the certificate: " + MbedtlsErrorText(ret));
  }
  SecretBytes key_pem(4096);
  ret = mbedtls_pk_write_key_pem(key.get(), key_pem.data(), key_pem.size());
  if (ret != 0) {
    return MakeError("cannot encode the private key: " + MbedtlsErrorText(ret));
  }

  // The PEM writers NUL-terminate; the files hold the text only.
  size_t key_len = std::strlen(reinterpret_cast<const char*>(key_pem.data()));
  size_t cert_len = std::strlen(reinterpret_cast<const char*>(cert_pem.data()));
  if (auto ok =
          CreateExclusive(key_path, ByteSpan(key_pem.data(), key_len), 0600);
      !ok) {
    return ok;
  }
  if (auto ok =
          CreateExclusive(cert_path, ByteSpan(cert_pem.data(), cert_len), 0644);
      !ok) {
    // Without its certificate the new key is useless; removing it lets the
    // caller simply retry.
    ::unlink(key_path.c_str());
    return ok;
  }
  return {};
}

Result<FingerprintDigest> PublicKeyDigest(mbedtls_pk_context* key) {
  uint8_t der[kMaxPublicKeyDer];
  // mbedtls_pk_write_pubkey_der writes backwards from the END of the buffer
  // and returns the length.
  int len = mbedtls_pk_write_pubkey_der(key, der, sizeof(der));
  if (len <= 0) {
    return MakeError("cannot encode the public key: " + MbedtlsErrorText(len));
  }
  FingerprintDigest digest{};
  int ret = mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256),
                       der + sizeof(der) - len, static_cast<size_t>(len),
                       digest.data());
  if (ret != 0) {
    return MakeError("cannot hash the public key: " + MbedtlsErrorText(ret));
  }
  return digest;
}

std::string FormatFingerprint(const FingerprintDigest& digest) {
  return std::string(kFingerprintPrefix) + ToHex(digest);
}

namespace {

// The first certificate of a PEM text, parsed.
Result<void> ParseCertificate(std::string_view certificate_pem,
                              ScopedX509Crt& crt) {
  // mbedtls_x509_crt_parse recognises PEM only with the terminating NUL
  // counted in the length.
  std::string pem(certificate_pem);
  int ret = mbedtls_x509_crt_parse(
      crt.get(), reinterpret_cast<const unsigned char*>(pem.c_str()),
      pem.size() + 1);
  if (ret != 0) {
    return MakeError("cannot parse the certificate: " + MbedtlsErrorText(ret));
  }
  return {};
}

}  // namespace

Result<std::string> PublicKeyFingerprint(std::string_view certificate_pem) {
  ScopedX509Crt crt;
  TETHER_RETURN_IF_ERROR(ParseCertificate(certificate_pem, crt));
  TETHER_TRY(digest, PublicKeyDigest(&crt.get()->pk));
  return FormatFingerprint(*digest);
}

Result<std::string> CertificateNotAfter(std::string_view certificate_pem) {
  ScopedX509Crt crt;
  TETHER_RETURN_IF_ERROR(ParseCertificate(certificate_pem, crt));
  const mbedtls_x509_time& t = crt.get()->valid_to;
  char text[32];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02dZ", t.year,
                t.mon, t.day, t.hour, t.min, t.sec);
  return std::string(text);
}

Result<FingerprintDigest> ParseFingerprint(std::string_view fingerprint) {
  constexpr size_t kHexLength = 2 * sizeof(FingerprintDigest);
  if (!fingerprint.starts_with(kFingerprintPrefix)) {
    return MakeError("key fingerprint must start with \"sha256:\"");
  }
  std::string_view hex = fingerprint.substr(kFingerprintPrefix.size());
  if (hex.size() != kHexLength) {
    return MakeError(
        "key fingerprint must have 64 hex digits after "
        "\"sha256:\", not " +
        std::to_string(hex.size()));
  }
  auto bytes = FromHex(hex);
  if (!bytes) {
    return MakeError(
        "key fingerprint has a character that is not a hex "
        "digit");
  }
  FingerprintDigest digest{};
  std::copy(bytes->begin(), bytes->end(), digest.begin());
  return digest;
}

Result<void> CheckFingerprintFormat(std::string_view fingerprint) {
  TETHER_RETURN_IF_ERROR(ParseFingerprint(fingerprint));
  return {};
}

Result<std::string> ReadPemFile(const std::filesystem::path& path) {
  ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    return MakeError("cannot open " + path.string() + ": " +
                     std::strerror(errno));
  }
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) {
    return MakeError("cannot stat " + path.string() + ": " +
                     std::strerror(errno));
  }
  if (!S_ISREG(info.st_mode)) {
    return MakeError(path.string() + " is not a regular file");
  }
  std::string text;
  char buffer[16384];
  // The file may be a private key: leave no copy of it on the stack.
  struct WipeOnExit {
    std::span<uint8_t> bytes;
    ~WipeOnExit() { SecureWipe(bytes); }
  } wipe{
      std::span<uint8_t>(reinterpret_cast<uint8_t*>(buffer), sizeof(buffer))};
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return MakeError("cannot read " + path.string() + ": " +
                       std::strerror(errno));
    }
    if (n == 0)
      break;
    // Counted while reading, not from fstat: the file may grow meanwhile.
    if (text.size() + static_cast<size_t>(n) > kMaxPemFileBytes) {
      return MakeError(path.string() + " is larger than " +
                       std::to_string(kMaxPemFileBytes) +
                       " bytes; not a PEM file");
    }
    text.append(buffer, static_cast<size_t>(n));
  }
  if (text.find("-----BEGIN ") == std::string::npos) {
    return MakeError(path.string() + " contains no PEM block");
  }
  return text;
}

}  // namespace tether::crypto
