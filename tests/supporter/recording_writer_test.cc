#include "supporter-app/core/recording_writer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "codec/vpx_encoder.h"
#include "tests/codec/synthetic_screen.h"

namespace tether::supporter {
namespace {

// The recording keeps the video: a frame that only carries the exact
// layer's patches (the lossless top-off) is left out, and the recording
// goes on whole.
TEST(RecordingWriterTest, FramesWithPatchesOnlyAreLeftOutOfTheRecording) {
  char templ[] = "/tmp/tether-recording-XXXXXX";
  const std::filesystem::path dir = mkdtemp(templ);
  codec::test::Screen screen({320, 200});
  auto encoder = codec::VpxEncoder::Create(codec::Codec::kVp9);
  ASSERT_TRUE(encoder.has_value());
  const auto video = [&](uint64_t id) {
    auto encoded = (*encoder)->Encode(screen.frame, {});
    EXPECT_TRUE(encoded.has_value());
    proto::VideoFrame frame;
    frame.set_frame_id(id);
    frame.set_codec(proto::CODEC_VP9);
    frame.set_width(320);
    frame.set_height(200);
    frame.set_key_frame(encoded->key_frame);
    frame.set_data(encoded->data.data(), encoded->data.size());
    frame.set_capture_time_us(static_cast<int64_t>(id) * 33'000);
    return frame;
  };
  RecordingWriter writer(dir / "session", [](const std::string&) {});
  writer.Add(video(1));
  proto::VideoFrame top_off;
  top_off.set_frame_id(2);
  top_off.set_codec(proto::CODEC_VP9);
  top_off.set_width(320);
  top_off.set_height(200);
  top_off.add_patches()->set_webp("lossless");
  writer.Add(top_off);
  screen.TypeGlyph(1);
  writer.Add(video(3));
  const RecordingWriter::Summary summary = writer.Stop();
  EXPECT_EQ(summary.error, "");
  EXPECT_EQ(summary.frames, 2u);
  ASSERT_EQ(summary.files.size(), 1u);
  EXPECT_GT(std::filesystem::file_size(summary.files[0]), 0u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tether::supporter
