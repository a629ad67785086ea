#pragma once

// mbedTLS value contexts, each owned once: initialised in the constructor,
// freed in the destructor (mbedTLS's *_free zeroizes the key material in
// them). Non-copyable and non-movable, because mbedTLS contexts may hold
// pointers into themselves. Internal to crypto/: public headers never
// include mbedTLS.

#include <mbedtls/bignum.h>
#include <mbedtls/ecp.h>
#include <mbedtls/gcm.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

namespace tether::crypto {

template <typename T, void (*kInit)(T*), void (*kFree)(T*)>
class ScopedMbedtls {
 public:
  ScopedMbedtls() { kInit(&value_); }
  ~ScopedMbedtls() { kFree(&value_); }
  ScopedMbedtls(const ScopedMbedtls&) = delete;
  ScopedMbedtls& operator=(const ScopedMbedtls&) = delete;

  T* get() { return &value_; }
  const T* get() const { return &value_; }

 private:
  T value_;
};

using ScopedMpi =
    ScopedMbedtls<mbedtls_mpi, mbedtls_mpi_init, mbedtls_mpi_free>;
using ScopedEcpGroup = ScopedMbedtls<mbedtls_ecp_group,
                                     mbedtls_ecp_group_init,
                                     mbedtls_ecp_group_free>;
using ScopedEcpPoint = ScopedMbedtls<mbedtls_ecp_point,
                                     mbedtls_ecp_point_init,
                                     mbedtls_ecp_point_free>;
using ScopedPk =
    ScopedMbedtls<mbedtls_pk_context, mbedtls_pk_init, mbedtls_pk_free>;
using ScopedX509Crt = ScopedMbedtls<mbedtls_x509_crt,
                                    mbedtls_x509_crt_init,
                                    mbedtls_x509_crt_free>;
using ScopedX509WriteCrt = ScopedMbedtls<mbedtls_x509write_cert,
                                         mbedtls_x509write_crt_init,
                                         mbedtls_x509write_crt_free>;
using ScopedGcm =
    ScopedMbedtls<mbedtls_gcm_context, mbedtls_gcm_init, mbedtls_gcm_free>;

}  // namespace tether::crypto
