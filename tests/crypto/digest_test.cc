#include "crypto/digest.h"

#include <gtest/gtest.h>

namespace tether::crypto {
namespace {

TEST(DigestTest, Sha256OfAbcMatchesFips180Vector) {
  EXPECT_EQ(ToHex(Sha256(AsBytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(DigestTest, IncrementalHashEqualsOneShot) {
  Sha256Hasher hasher;
  hasher.Update(AsBytes("a"));
  hasher.Update(AsBytes("bc"));
  EXPECT_EQ(hasher.Finish(), Sha256(AsBytes("abc")));
  // The hasher starts over after Finish().
  hasher.Update(AsBytes("abc"));
  EXPECT_EQ(hasher.Finish(), Sha256(AsBytes("abc")));
}

TEST(DigestTest, HmacSha256MatchesRfc4231Case2) {
  EXPECT_EQ(ToHex(HmacSha256(AsBytes("Jefe"),
                             AsBytes("what do ya want for nothing?"))),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

}  // namespace
}  // namespace tether::crypto
