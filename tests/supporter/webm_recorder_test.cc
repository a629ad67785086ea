#include "supporter-app/core/webm_recorder.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "codec/vpx_encoder.h"
#include "tests/codec/synthetic_screen.h"

namespace tether::supporter {
namespace {

using codec::Codec;
using desktop::DesktopSize;

constexpr int64_t kFrameUs = 1'000'000 / 30;

// Runs a shell command; its stdout, or nullopt (and a test failure) if it
// failed.
std::optional<std::string> RunCommand(const std::string& command) {
  std::FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr)
    return std::nullopt;
  std::string output;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0)
    output.append(buffer, n);
  if (pclose(pipe) != 0) {
    ADD_FAILURE() << command << " failed:\n" << output;
    return std::nullopt;
  }
  return output;
}

struct Probe {
  std::string codec;
  int width = 0, height = 0, frames = 0;
  double duration = 0;
};

// What ffprobe sees when it decodes every frame. A finished file must not
// draw a single warning from the demuxer or the decoder.
std::optional<Probe> FfProbe(const std::filesystem::path& file,
                             bool finished = true) {
  auto out =
      RunCommand(std::string("ffprobe -v ") + (finished ? "warning" : "error") +
                 " -count_frames -show_entries "
                 "stream=codec_name,width,height,nb_read_frames -show_entries "
                 "format=duration -of default=nw=1 '" +
                 file.string() + "'");
  if (!out)
    return std::nullopt;
  std::map<std::string, std::string> values;
  std::istringstream lines(*out);
  for (std::string line; std::getline(lines, line);) {
    const size_t eq = line.find('=');
    if (eq != std::string::npos) {
      values[line.substr(0, eq)] = line.substr(eq + 1);
    } else {
      ADD_FAILURE() << "ffprobe on " << file << ": " << line;
    }
  }
  Probe probe;
  probe.codec = values["codec_name"];
  probe.width = std::atoi(values["width"].c_str());
  probe.height = std::atoi(values["height"].c_str());
  probe.frames = std::atoi(values["nb_read_frames"].c_str());
  probe.duration = std::atof(values["duration"].c_str());
  return probe;
}

// Each packet's "pts_time,flags" as ffprobe reads them.
std::vector<std::pair<double, bool>> Packets(
    const std::filesystem::path& file) {
  auto out = RunCommand(
      "ffprobe -v error -show_entries packet=pts_time,flags -of csv=p=0 '" +
      file.string() + "'");
  std::vector<std::pair<double, bool>> packets;
  if (!out)
    return packets;
  std::istringstream lines(*out);
  for (std::string line; std::getline(lines, line);) {
    const size_t comma = line.find(',');
    if (comma == std::string::npos)
      continue;
    packets.emplace_back(std::atof(line.substr(0, comma).c_str()),
                         line[comma + 1] == 'K');
  }
  return packets;
}

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A small independent EBML walk over the top level and the Segment's
// children: every size must be known and add up to the file's end. Returns
// the number of CuePoints (-1 if the structure is broken).
int CountCuePoints(const std::string& file) {
  size_t pos = 0;
  const auto read_id = [&](uint32_t& id) {
    if (pos >= file.size())
      return false;
    const auto first = static_cast<uint8_t>(file[pos]);
    int length = first >= 0x80 ? 1 : first >= 0x40 ? 2 : first >= 0x20 ? 3 : 4;
    if (pos + length > file.size())
      return false;
    id = 0;
    for (int i = 0; i < length; ++i)
      id = (id << 8) | static_cast<uint8_t>(file[pos++]);
    return true;
  };
  const auto read_size = [&](uint64_t& size) {
    if (pos >= file.size())
      return false;
    const auto first = static_cast<uint8_t>(file[pos]);
    int length = 1;
    while (length <= 8 && !(first & (0x80 >> (length - 1))))
      ++length;
    if (length > 8 || pos + length > file.size())
      return false;
    size = first & (0xff >> length);
    bool all_ones = size == (0xffu >> length);
    for (int i = 1; i < length; ++i) {
      const auto b = static_cast<uint8_t>(file[pos + i]);
      all_ones = all_ones && b == 0xff;
      size = (size << 8) | b;
    }
    pos += length;
    return !all_ones;  // an unknown size was never patched
  };
  uint32_t id;
  uint64_t size;
  if (!read_id(id) || id != 0x1A45DFA3 || !read_size(size))
    return -1;
  pos += size;
  if (!read_id(id) || id != 0x18538067 || !read_size(size) ||
      pos + size != file.size()) {
    return -1;
  }
  int cue_points = -1;
  while (pos < file.size()) {
    if (!read_id(id) || !read_size(size) || pos + size > file.size())
      return -1;
    if (id == 0x1C53BB6B) {  // Cues
      const size_t end = pos + size;
      cue_points = 0;
      while (pos < end) {
        uint32_t child;
        uint64_t child_size;
        if (!read_id(child) || !read_size(child_size))
          return -1;
        cue_points += child == 0xBB;
        pos += child_size;
      }
    } else {
      pos += size;
    }
  }
  return cue_points;
}

class WebmRecorderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ =
        (std::filesystem::temp_directory_path() / "tether_webm_XXXXXX")
            .string();
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    base_ = dir_ / "session";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // `count` frames of a screen being typed on, as the customer sends them.
  // `key_frames_at` forces key frames there (the first is always one).
  static std::vector<proto::VideoFrame> Encode(
      Codec codec,
      DesktopSize size,
      int count,
      int64_t start_us = 5'000'000,
      std::vector<int> key_frames_at = {}) {
    std::vector<proto::VideoFrame> frames;
    auto encoder = codec::VpxEncoder::Create(codec);
    EXPECT_TRUE(encoder.has_value());
    if (!encoder)
      return frames;
    codec::test::Screen screen(size);
    for (int i = 0; i < count; ++i) {
      if (i > 0)
        screen.TypeGlyph(i);
      codec::EncodeParams params;
      params.key_frame = std::find(key_frames_at.begin(), key_frames_at.end(),
                                   i) != key_frames_at.end();
      auto encoded = (*encoder)->Encode(screen.frame, params);
      EXPECT_TRUE(encoded.has_value());
      if (!encoded)
        return frames;
      proto::VideoFrame frame;
      frame.set_frame_id(static_cast<uint64_t>(i));
      frame.set_codec(codec == Codec::kVp9 ? proto::CODEC_VP9
                                           : proto::CODEC_VP8);
      frame.set_width(static_cast<uint32_t>(encoded->size.width));
      frame.set_height(static_cast<uint32_t>(encoded->size.height));
      frame.set_key_frame(encoded->key_frame);
      frame.set_data(encoded->data.data(), encoded->data.size());
      frame.set_capture_time_us(start_us + i * kFrameUs);
      frames.push_back(std::move(frame));
    }
    return frames;
  }

  std::filesystem::path Final(const char* suffix = "") const {
    return dir_ / (std::string("session") + suffix + ".webm");
  }
  std::filesystem::path Part(const char* suffix = "") const {
    return dir_ / (std::string("session") + suffix + ".webm.part");
  }

  std::filesystem::path dir_;
  std::filesystem::path base_;
};

class WebmRecorderCodecTest : public WebmRecorderTest,
                              public ::testing::WithParamInterface<Codec> {};

TEST_P(WebmRecorderCodecTest, TwoSecondsAt30FpsPlayBackWhole) {
  const auto frames = Encode(GetParam(), {320, 240}, 60);
  ASSERT_EQ(frames.size(), 60u);
  auto recorder = WebmRecorder::Create(base_);
  ASSERT_TRUE(recorder.has_value()) << recorder.error().message;
  EXPECT_TRUE(std::filesystem::exists(Part()));
  for (const auto& frame : frames)
    ASSERT_TRUE((*recorder)->Add(frame).has_value());
  EXPECT_EQ((*recorder)->files(), std::vector{Part()});
  ASSERT_TRUE((*recorder)->Finish().has_value());
  EXPECT_EQ((*recorder)->frames_written(), 60u);
  EXPECT_EQ((*recorder)->frames_skipped(), 0u);
  EXPECT_EQ((*recorder)->files(), std::vector{Final()});
  EXPECT_FALSE(std::filesystem::exists(Part()));

  struct stat st {};
  ASSERT_EQ(stat(Final().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto probe = FfProbe(Final());
  ASSERT_TRUE(probe.has_value());
  EXPECT_EQ(probe->codec, GetParam() == Codec::kVp9 ? "vp9" : "vp8");
  EXPECT_EQ(probe->width, 320);
  EXPECT_EQ(probe->height, 240);
  EXPECT_EQ(probe->frames, 60);
  EXPECT_NEAR(probe->duration, 2.0, 0.05);

  // Timestamps from the capture clock, relative to the first frame; the
  // key flag where the encoder made a key frame.
  const auto packets = Packets(Final());
  ASSERT_EQ(packets.size(), 60u);
  for (size_t i = 0; i < packets.size(); ++i) {
    EXPECT_NEAR(packets[i].first, static_cast<double>(i) / 30, 0.0011) << i;
    EXPECT_EQ(packets[i].second, frames[i].key_frame()) << i;
  }
  EXPECT_EQ(CountCuePoints(ReadAll(Final())), 1);
}

INSTANTIATE_TEST_SUITE_P(Codecs,
                         WebmRecorderCodecTest,
                         ::testing::Values(Codec::kVp8, Codec::kVp9),
                         [](const auto& param_info) {
                           return std::string(
                               codec::CodecName(param_info.param));
                         });

TEST_F(WebmRecorderTest, EveryKeyFrameStartsACueAndKeepsItsFlag) {
  const auto frames = Encode(Codec::kVp8, {160, 120}, 40, 0, {15, 30});
  auto recorder = WebmRecorder::Create(base_);
  ASSERT_TRUE(recorder.has_value());
  for (const auto& frame : frames)
    ASSERT_TRUE((*recorder)->Add(frame).has_value());
  ASSERT_TRUE((*recorder)->Finish().has_value());
  const auto packets = Packets(Final());
  ASSERT_EQ(packets.size(), 40u);
  for (size_t i = 0; i < packets.size(); ++i)
    EXPECT_EQ(packets[i].second, i == 0 || i == 15 || i == 30) << i;
  EXPECT_EQ(CountCuePoints(ReadAll(Final())), 3);
}

TEST_F(WebmRecorderTest, FramesBeforeTheFirstKeyFrameAreSkipped) {
  const auto frames = Encode(Codec::kVp8, {160, 120}, 30, 0, {10});
  auto recorder = WebmRecorder::Create(base_);
  ASSERT_TRUE(recorder.has_value());
  // The recording starts mid-stream: frames 1..9 depend on frame 0.
  for (size_t i = 1; i < frames.size(); ++i)
    ASSERT_TRUE((*recorder)->Add(frames[i]).has_value());
  EXPECT_EQ((*recorder)->frames_skipped(), 9u);
  EXPECT_EQ((*recorder)->frames_written(), 20u);
  ASSERT_TRUE((*recorder)->Finish().has_value());
  auto probe = FfProbe(Final());
  ASSERT_TRUE(probe.has_value());
  EXPECT_EQ(probe->frames, 20);
  // Time starts at the first frame written.
  const auto packets = Packets(Final());
  ASSERT_FALSE(packets.empty());
  EXPECT_DOUBLE_EQ(packets.front().first, 0.0);
  EXPECT_TRUE(packets.front().second);
}

TEST_F(WebmRecorderTest, NonIncreasingTimestampsAreRepairedByOneMs) {
  auto frames = Encode(Codec::kVp8, {160, 120}, 6, 1'000'000);
  // Same time, backwards, and less than a millisecond later.
  frames[2].set_capture_time_us(frames[1].capture_time_us());
  frames[3].set_capture_time_us(frames[1].capture_time_us() - 500'000);
  frames[4].set_capture_time_us(frames[1].capture_time_us() + 300);
  frames[5].set_capture_time_us(frames[0].capture_time_us() + 200'000);
  auto recorder = WebmRecorder::Create(base_);
  ASSERT_TRUE(recorder.has_value());
  for (const auto& frame : frames)
    ASSERT_TRUE((*recorder)->Add(frame).has_value());
  ASSERT_TRUE((*recorder)->Finish().has_value());
  const auto packets = Packets(Final());
  ASSERT_EQ(packets.size(), 6u);
  const double expected[] = {0, 0.033, 0.034, 0.035, 0.036, 0.2};
  for (size_t i = 0; i < 6; ++i)
    EXPECT_NEAR(packets[i].first, expected[i], 1e-6) << i;
  auto probe = FfProbe(Final());
  ASSERT_TRUE(probe.has_value());
  EXPECT_EQ(probe->frames, 6);
}

TEST_F(WebmRecorderTest, SizeChangeStartsASecondValidFile) {
  const auto big = Encode(Codec::kVp9, {320, 240}, 30, 0);
  const auto small = Encode(Codec::kVp9, {160, 120}, 30, 30 * kFrameUs);
  auto recorder = WebmRecorder::Create(base_);
  ASSERT_TRUE(recorder.has_value());
  for (const auto& frame : big)
    ASSERT_TRUE((*recorder)->Add(frame).has_value());
  for (const auto& frame : small)
    ASSERT_TRUE((*recorder)->Add(frame).has_value());
  EXPECT_EQ((*recorder)->files(), (std::vector{Final(), Part("-2")}));
  ASSERT_TRUE((*recorder)->Finish().has_value());
  EXPECT_EQ((*recorder)->files(), (std::vector{Final(), Final("-2")}));
  EXPECT_EQ((*recorder)->frames_written(), 60u);

  auto first = FfProbe(Final());
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->width, 320);
  EXPECT_EQ(first->height, 240);
  EXPECT_EQ(first->frames, 30);
  EXPECT_NEAR(first->duration, 1.0, 0.05);
  auto second = FfProbe(Final("-2"));
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->codec, "vp9");
  EXPECT_EQ(second->width, 160);
  EXPECT_EQ(second->height, 120);
  EXPECT_EQ(second->frames, 30);
  EXPECT_NEAR(second->duration, 1.0, 0.05);
  EXPECT_EQ(CountCuePoints(ReadAll(Final("-2"))), 1);
}

TEST_F(WebmRecorderTest, InterruptedRecordingLeavesOnlyThePart) {
  const auto frames = Encode(Codec::kVp8, {320, 240}, 60);
  // A crash: the recording process dies without Finish() or destructors.
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto recorder = WebmRecorder::Create(base_);
    if (!recorder)
      _exit(2);
    for (const auto& frame : frames) {
      if (!(*recorder)->Add(frame))
        _exit(3);
    }
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  EXPECT_FALSE(std::filesystem::exists(Final()));
  ASSERT_TRUE(std::filesystem::exists(Part()));
  // Blocks go to the file as they arrive: the part still plays to the end.
  auto probe = FfProbe(Part(), /*finished=*/false);
  ASSERT_TRUE(probe.has_value());
  EXPECT_EQ(probe->frames, 60);
  // And a new recording under the same name is refused, not overwritten.
  EXPECT_FALSE(WebmRecorder::Create(base_).has_value());
}

TEST_F(WebmRecorderTest, DestructorFinishes) {
  const auto frames = Encode(Codec::kVp8, {160, 120}, 10);
  {
    auto recorder = WebmRecorder::Create(base_);
    ASSERT_TRUE(recorder.has_value());
    for (const auto& frame : frames)
      ASSERT_TRUE((*recorder)->Add(frame).has_value());
  }
  EXPECT_FALSE(std::filesystem::exists(Part()));
  auto probe = FfProbe(Final());
  ASSERT_TRUE(probe.has_value());
  EXPECT_EQ(probe->frames, 10);
}

TEST_F(WebmRecorderTest, WithoutAKeyFrameNothingIsLeft) {
  auto frames = Encode(Codec::kVp8, {160, 120}, 5);
  auto recorder = WebmRecorder::Create(base_);
  ASSERT_TRUE(recorder.has_value());
  for (size_t i = 1; i < frames.size(); ++i)
    ASSERT_TRUE((*recorder)->Add(frames[i]).has_value());
  auto finished = (*recorder)->Finish();
  ASSERT_FALSE(finished.has_value());
  EXPECT_NE(finished.error().message.find("no key frame"), std::string::npos);
  EXPECT_TRUE((*recorder)->files().empty());
  EXPECT_TRUE(std::filesystem::is_empty(dir_));
  EXPECT_TRUE((*recorder)->Finish().has_value());  // idempotent
  EXPECT_FALSE((*recorder)->Add(frames[0]).has_value());
}

TEST_F(WebmRecorderTest, NeverReplacesAnExistingRecording) {
  { std::ofstream(Final()) << "older"; }
  EXPECT_FALSE(WebmRecorder::Create(base_).has_value());
  EXPECT_EQ(ReadAll(Final()), "older");
  std::filesystem::remove(Final());

  // Taken while recording: Finish keeps the .part and says so.
  const auto frames = Encode(Codec::kVp8, {160, 120}, 3);
  auto recorder = WebmRecorder::Create(base_);
  ASSERT_TRUE(recorder.has_value());
  for (const auto& frame : frames)
    ASSERT_TRUE((*recorder)->Add(frame).has_value());
  { std::ofstream(Final()) << "older"; }
  auto finished = (*recorder)->Finish();
  ASSERT_FALSE(finished.has_value());
  EXPECT_NE(finished.error().message.find("taken"), std::string::npos);
  EXPECT_EQ(ReadAll(Final()), "older");
  EXPECT_TRUE(std::filesystem::exists(Part()));
}

TEST_F(WebmRecorderTest, BadFramesAreRefusedAndTheRecordingGoesOn) {
  const auto frames = Encode(Codec::kVp8, {160, 120}, 4);
  auto recorder = WebmRecorder::Create(base_);
  ASSERT_TRUE(recorder.has_value());
  ASSERT_TRUE((*recorder)->Add(frames[0]).has_value());
  auto no_codec = frames[1];
  no_codec.set_codec(proto::CODEC_UNSPECIFIED);
  auto no_size = frames[1];
  no_size.set_width(0);
  auto too_big = frames[1];
  too_big.set_height(100000);
  auto empty = frames[1];
  empty.clear_data();
  for (const auto* bad : {&no_codec, &no_size, &too_big, &empty})
    EXPECT_FALSE((*recorder)->Add(*bad).has_value());
  for (size_t i = 1; i < frames.size(); ++i)
    ASSERT_TRUE((*recorder)->Add(frames[i]).has_value());
  ASSERT_TRUE((*recorder)->Finish().has_value());
  auto probe = FfProbe(Final());
  ASSERT_TRUE(probe.has_value());
  EXPECT_EQ(probe->frames, 4);
}

TEST_F(WebmRecorderTest, MissingFolderFailsAtCreate) {
  auto recorder = WebmRecorder::Create(dir_ / "missing" / "session");
  ASSERT_FALSE(recorder.has_value());
  EXPECT_NE(recorder.error().message.find("cannot create"), std::string::npos);
}

}  // namespace
}  // namespace tether::supporter
