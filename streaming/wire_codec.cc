#include "streaming/wire_codec.h"

namespace tether::streaming {

proto::Codec ToWire(codec::Codec codec) {
  return codec == codec::Codec::kVp9 ? proto::CODEC_VP9 : proto::CODEC_VP8;
}

std::optional<codec::Codec> FromWire(int codec) {
  switch (codec) {
    case proto::CODEC_VP8:
      return codec::Codec::kVp8;
    case proto::CODEC_VP9:
      return codec::Codec::kVp9;
    default:
      return std::nullopt;
  }
}

codec::Codec AgreeCodec(const proto::SessionTerms& terms,
                        codec::Codec preferred) {
  for (int decoder : terms.decoders()) {
    if (decoder == ToWire(preferred))
      return preferred;
  }
  return codec::Codec::kVp8;
}

}  // namespace tether::streaming
