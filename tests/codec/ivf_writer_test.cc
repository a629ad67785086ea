#include "codec/ivf_writer.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <unistd.h>

#include "codec/vpx_encoder.h"
#include "tests/codec/synthetic_screen.h"

namespace tether::codec {
namespace {

using desktop::DesktopFrame;
using desktop::DesktopRect;
using desktop::DesktopSize;

constexpr int kFrames = 12;
constexpr DesktopSize kSize{96, 64};

bool HaveTool(const std::string& tool) {
  return std::system(("command -v " + tool + " >/dev/null 2>&1").c_str()) == 0;
}

// Runs a shell command; returns its stdout and stderr, or nullopt if it
// failed.
std::optional<std::string> RunCommand(const std::string& command) {
  std::FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr)
    return std::nullopt;
  std::string output;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    output.append(buffer, n);
  }
  if (pclose(pipe) != 0) {
    ADD_FAILURE() << command << " failed:\n" << output;
    return std::nullopt;
  }
  return output;
}

class IvfWriterTest : public ::testing::TestWithParam<Codec> {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("tether_ivf_" + std::to_string(::getpid()) + "_" +
             CodecName(GetParam()) + ".ivf");
  }
  void TearDown() override { std::filesystem::remove(path_); }

  // A short screen session: keyframe, typing, a window drag, idle frames.
  void WriteStream() {
    auto encoder = VpxEncoder::Create(GetParam());
    ASSERT_TRUE(encoder.has_value());
    auto writer = IvfWriter::Create(path_, GetParam(), kSize);
    ASSERT_TRUE(writer.has_value()) << writer.error().message;
    test::Screen screen(kSize);
    for (int i = 0; i < kFrames; ++i) {
      if (i > 0 && i < 5)
        screen.TypeGlyph(i);
      if (i >= 5 && i < 9)
        screen.DragWindow(i - 5, 3, 2);
      if (i >= 9)
        screen.frame.mutable_dirty_rects().clear();
      auto encoded = (*encoder)->Encode(screen.frame, {});
      ASSERT_TRUE(encoded.has_value());
      ASSERT_TRUE((*writer)->WriteFrame(encoded->data, i * 33).has_value());
    }
    EXPECT_EQ((*writer)->frame_count(), static_cast<uint32_t>(kFrames));
    ASSERT_TRUE((*writer)->Close().has_value());
  }

  std::filesystem::path path_;
};

TEST_P(IvfWriterTest, HeaderDescribesTheStream) {
  WriteStream();
  std::ifstream in(path_, std::ios::binary);
  std::vector<unsigned char> header(32);
  in.read(reinterpret_cast<char*>(header.data()), 32);
  ASSERT_TRUE(in);
  EXPECT_EQ(std::string(header.begin(), header.begin() + 4), "DKIF");
  EXPECT_EQ(std::string(header.begin() + 8, header.begin() + 12),
            GetParam() == Codec::kVp8 ? "VP80" : "VP90");
  EXPECT_EQ(header[12] | header[13] << 8, kSize.width);
  EXPECT_EQ(header[14] | header[15] << 8, kSize.height);
  EXPECT_EQ(header[24] | header[25] << 8, kFrames);
}

TEST_P(IvfWriterTest, VpxdecDecodesEveryFrame) {
  if (!HaveTool("vpxdec"))
    GTEST_SKIP() << "vpxdec not installed";
  WriteStream();
  auto output = RunCommand("vpxdec --summary --md5 " + path_.string());
  ASSERT_TRUE(output.has_value());
  std::smatch match;
  ASSERT_TRUE(
      std::regex_search(*output, match, std::regex(R"((\d+) decoded frames)")))
      << *output;
  EXPECT_EQ(std::stoi(match[1]), kFrames);
  EXPECT_TRUE(std::regex_search(*output, std::regex("[0-9a-f]{32}")))
      << "md5 missing: " << *output;
}

TEST_P(IvfWriterTest, FfprobeCountsEveryFrame) {
  if (!HaveTool("ffprobe"))
    GTEST_SKIP() << "ffprobe not installed";
  WriteStream();
  auto output = RunCommand(
      "ffprobe -v error -count_frames -select_streams v:0 "
      "-show_entries stream=codec_name,width,height,nb_read_frames "
      "-of default=noprint_wrappers=1 " +
      path_.string());
  ASSERT_TRUE(output.has_value());
  EXPECT_NE(output->find("nb_read_frames=" + std::to_string(kFrames)),
            std::string::npos)
      << *output;
  EXPECT_NE(output->find(GetParam() == Codec::kVp8 ? "codec_name=vp8"
                                                   : "codec_name=vp9"),
            std::string::npos)
      << *output;
  EXPECT_NE(output->find("width=96"), std::string::npos) << *output;
}

TEST(IvfWriterCreateTest, RefusesUnwritablePath) {
  auto writer = IvfWriter::Create("/nonexistent-dir/x.ivf", Codec::kVp8,
                                  DesktopSize{8, 8});
  EXPECT_FALSE(writer.has_value());
}

INSTANTIATE_TEST_SUITE_P(Codecs,
                         IvfWriterTest,
                         ::testing::Values(Codec::kVp8, Codec::kVp9),
                         [](const auto& param_info) {
                           return std::string(CodecName(param_info.param));
                         });

}  // namespace
}  // namespace tether::codec
