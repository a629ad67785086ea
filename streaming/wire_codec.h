#pragma once

// The screen's codec on the wire: the mapping between codec::Codec and
// proto::Codec (one home for both directions), and the choice the
// customer's app makes from what the technician's app says it decodes.

#include <optional>

#include "codec/video_encoder.h"
#include "protocol/peer.pb.h"

namespace tether::streaming {

proto::Codec ToWire(codec::Codec codec);
// Nothing for CODEC_UNSPECIFIED or a value from a newer app.
std::optional<codec::Codec> FromWire(int codec);

// `preferred` when the technician's app lists it in its terms' decoders,
// VP8 otherwise (every app decodes VP8; apps before 0.2 list nothing).
codec::Codec AgreeCodec(const proto::SessionTerms& terms,
                        codec::Codec preferred);

}  // namespace tether::streaming
