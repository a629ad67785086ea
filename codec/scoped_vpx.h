#pragma once

// libvpx handles, owned once. Include only from .cc files: it pulls in the
// libvpx headers that public headers keep out.

#include <vpx/vpx_codec.h>
#include <vpx/vpx_image.h>

#include <memory>

namespace tether::codec {

struct VpxCodecDeleter {
  void operator()(vpx_codec_ctx_t* codec) const {
    if (codec == nullptr)
      return;
    vpx_codec_destroy(codec);  // frees libvpx's state, not the struct
    delete codec;
  }
};
// A vpx_codec_ctx_t that was initialised with vpx_codec_{enc,dec}_init;
// allocate with `new vpx_codec_ctx_t{}` and reset only after a successful init.
using ScopedVpxCodec = std::unique_ptr<vpx_codec_ctx_t, VpxCodecDeleter>;

struct VpxImageDeleter {
  void operator()(vpx_image_t* image) const { vpx_img_free(image); }
};
// A vpx_image_t from vpx_img_alloc (which owns its pixels).
using ScopedVpxImage = std::unique_ptr<vpx_image_t, VpxImageDeleter>;

}  // namespace tether::codec
