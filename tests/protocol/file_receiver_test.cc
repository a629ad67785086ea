#include "protocol/file_receiver.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>

#include "crypto/digest.h"

namespace tether::protocol {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    char templ[] = "/tmp/tether-files-XXXXXX";
    path_ = mkdtemp(templ);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string Read(const fs::path& path) {
  std::string text;
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    char buffer[4096];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof(buffer), f)) > 0)
      text.append(buffer, n);
    std::fclose(f);
  }
  return text;
}

void Write(const fs::path& path, const std::string& text) {
  FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fwrite(text.data(), 1, text.size(), f);
  std::fclose(f);
}

std::vector<std::string> Names(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

IncomingFile Offer(uint32_t id,
                   const std::string& name,
                   const std::string& content) {
  proto::FileOffer offer;
  offer.set_file_id(id);
  offer.set_name(name);
  offer.set_size(content.size());
  const auto digest = crypto::Sha256(AsBytes(content));
  offer.set_sha256(digest.data(), digest.size());
  auto file = CheckFileOffer(offer, kDefaultMaxFileSize);
  EXPECT_TRUE(file.has_value()) << (file ? "" : file.error().message);
  return file ? *file : IncomingFile{};
}

class FileReceiverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    downloads_ = dir_.path() / "Downloads";
    outside_ = dir_.path() / "outside";
    fs::create_directory(downloads_);
    fs::create_directory(outside_);
    auto receiver = FileReceiver::Create({downloads_, 4});
    ASSERT_TRUE(receiver.has_value()) << receiver.error().message;
    receiver_ = std::move(*receiver);
  }

  Result<std::string> Receive(uint32_t id,
                              const std::string& name,
                              const std::string& content) {
    const IncomingFile file = Offer(id, name, content);
    if (auto opened = receiver_->Open(file); !opened)
      return Unexpected(opened.error());
    if (auto written = receiver_->Write(id, 0, AsBytes(content)); !written)
      return Unexpected(written.error());
    return receiver_->Finish(id);
  }

  TempDir dir_;
  fs::path downloads_, outside_;
  std::unique_ptr<FileReceiver> receiver_;
};

TEST_F(FileReceiverTest, SavesAVerifiedFileUnderItsName) {
  auto saved = Receive(1, "notes.txt", "hello");
  ASSERT_TRUE(saved.has_value()) << saved.error().message;
  EXPECT_EQ(*saved, (downloads_ / "notes.txt").string());
  EXPECT_EQ(Read(downloads_ / "notes.txt"), "hello");
  EXPECT_EQ(Names(downloads_), std::vector<std::string>{"notes.txt"});
  struct stat st {};
  ASSERT_EQ(stat(saved->c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(FileReceiverTest, AMismatchingChecksumLeavesNoFile) {
  IncomingFile file = Offer(1, "notes.txt", "hello");
  ASSERT_TRUE(receiver_->Open(file).has_value());
  ASSERT_TRUE(
      receiver_->Write(1, 0, AsBytes(std::string("HELLO"))).has_value());
  auto saved = receiver_->Finish(1);
  ASSERT_FALSE(saved.has_value());
  EXPECT_NE(saved.error().message.find("checksum"), std::string::npos);
  EXPECT_TRUE(Names(downloads_).empty());
}

TEST_F(FileReceiverTest, AnExistingFileIsNeverReplaced) {
  Write(downloads_ / "notes.txt", "mine");
  Write(downloads_ / "notes (1).txt", "mine too");
  auto saved = Receive(1, "notes.txt", "theirs");
  ASSERT_TRUE(saved.has_value());
  EXPECT_EQ(*saved, (downloads_ / "notes (2).txt").string());
  EXPECT_EQ(Read(downloads_ / "notes.txt"), "mine");
  EXPECT_EQ(Read(downloads_ / "notes (1).txt"), "mine too");
  EXPECT_EQ(Read(downloads_ / "notes (2).txt"), "theirs");
}

TEST_F(FileReceiverTest, ASymlinkPlantedUnderTheTargetNameIsNotFollowed) {
  const fs::path target = outside_ / "victim";
  Write(target, "precious");
  fs::create_symlink(target, downloads_ / "report.pdf");
  auto saved = Receive(1, "report.pdf", "payload");
  ASSERT_TRUE(saved.has_value());
  EXPECT_EQ(*saved, (downloads_ / "report (1).pdf").string());
  EXPECT_EQ(Read(target), "precious");
  EXPECT_TRUE(fs::is_symlink(downloads_ / "report.pdf"));
  EXPECT_EQ(fs::read_symlink(downloads_ / "report.pdf"), target);
  EXPECT_EQ(Names(outside_), std::vector<std::string>{"victim"});
}

TEST_F(FileReceiverTest, SymlinksPlantedUnderTemporaryNamesAreNotFollowed) {
  // The temporary names are guessable; creating them refuses to follow.
  for (int counter = 1; counter <= 5; ++counter) {
    const std::string name = ".tether-incoming-" + std::to_string(getpid()) +
                             "-7-" + std::to_string(counter) + ".part";
    fs::create_symlink(outside_ / ("t" + std::to_string(counter)),
                       downloads_ / name);
  }
  auto saved = Receive(7, "x.txt", "data");
  ASSERT_TRUE(saved.has_value()) << saved.error().message;
  EXPECT_TRUE(Names(outside_).empty());
  EXPECT_EQ(Read(downloads_ / "x.txt"), "data");
}

TEST_F(FileReceiverTest, PiecesOutOfOrderOrPastTheSizeAreRefusedAndDeleted) {
  ASSERT_TRUE(receiver_->Open(Offer(1, "a.txt", "abcdef")).has_value());
  ASSERT_TRUE(receiver_->Write(1, 0, AsBytes(std::string("abc"))).has_value());
  EXPECT_FALSE(receiver_->Write(1, 5, AsBytes(std::string("f"))).has_value());
  EXPECT_FALSE(receiver_->IsOpen(1));
  EXPECT_TRUE(Names(downloads_).empty());

  ASSERT_TRUE(receiver_->Open(Offer(2, "b.txt", "abc")).has_value());
  EXPECT_FALSE(
      receiver_->Write(2, 0, AsBytes(std::string("abcd"))).has_value());
  EXPECT_TRUE(Names(downloads_).empty());
}

TEST_F(FileReceiverTest, AShortFileIsRefusedAndDeleted) {
  ASSERT_TRUE(receiver_->Open(Offer(1, "a.txt", "abcdef")).has_value());
  ASSERT_TRUE(receiver_->Write(1, 0, AsBytes(std::string("abc"))).has_value());
  auto saved = receiver_->Finish(1);
  ASSERT_FALSE(saved.has_value());
  EXPECT_NE(saved.error().message.find("ended early"), std::string::npos);
  EXPECT_TRUE(Names(downloads_).empty());
}

TEST_F(FileReceiverTest, CancelAndTheEndDeleteWhatArrived) {
  ASSERT_TRUE(receiver_->Open(Offer(1, "a.txt", "abcdef")).has_value());
  ASSERT_TRUE(receiver_->Open(Offer(2, "b.txt", "abcdef")).has_value());
  ASSERT_TRUE(receiver_->Write(1, 0, AsBytes(std::string("abc"))).has_value());
  EXPECT_EQ(Names(downloads_).size(), 2u);
  receiver_->Discard(1);
  EXPECT_EQ(Names(downloads_).size(), 1u);
  receiver_.reset();  // the session ended
  EXPECT_TRUE(Names(downloads_).empty());
}

TEST_F(FileReceiverTest, OnlyAFewFilesArriveAtOnce) {
  for (uint32_t id = 1; id <= 4; ++id)
    ASSERT_TRUE(receiver_->Open(Offer(id, "f.txt", "x")).has_value());
  EXPECT_FALSE(receiver_->Open(Offer(5, "f.txt", "x")).has_value());
  EXPECT_FALSE(receiver_->Open(Offer(1, "f.txt", "x")).has_value());
}

TEST_F(FileReceiverTest, OffersAreCheckedBeforeAnyDiskWork) {
  proto::FileOffer offer;
  offer.set_name("ok.txt");
  offer.set_size(3);
  EXPECT_FALSE(
      CheckFileOffer(offer, kDefaultMaxFileSize).has_value());  // no sha
  offer.set_sha256(std::string(32, 'x'));
  EXPECT_TRUE(CheckFileOffer(offer, kDefaultMaxFileSize).has_value());
  offer.set_size(kDefaultMaxFileSize + 1);
  auto big = CheckFileOffer(offer, kDefaultMaxFileSize);
  ASSERT_FALSE(big.has_value());
  EXPECT_NE(big.error().message.find("2.1 GB"), std::string::npos);
}

TEST_F(FileReceiverTest, AMissingFolderIsAClearError) {
  auto receiver = FileReceiver::Create({dir_.path() / "nope", 4});
  ASSERT_FALSE(receiver.has_value());
  EXPECT_NE(receiver.error().message.find("nope"), std::string::npos);
}

TEST(FileSizeTest, SizesReadLikeAFileManager) {
  EXPECT_EQ(FormatFileSize(1), "1 byte");
  EXPECT_EQ(FormatFileSize(999), "999 bytes");
  EXPECT_EQ(FormatFileSize(12'345), "12 KB");
  EXPECT_EQ(FormatFileSize(3'400'000), "3.4 MB");
}

}  // namespace
}  // namespace tether::protocol
