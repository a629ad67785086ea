#include "relay/web/qr_svg.h"

#include <qrencode.h>

#include <memory>

namespace tether::relay::web {

Result<std::string> QrCodeSvg(std::string_view text) {
  if (text.size() > 1024)
    return MakeError("too much text for a QR code");
  const std::string input(text);
  std::unique_ptr<QRcode, decltype(&QRcode_free)> code(
      QRcode_encodeString8bit(input.c_str(), 0, QR_ECLEVEL_M), &QRcode_free);
  if (!code)
    return MakeError("cannot make a QR code");
  const int size = code->width;
  const int quiet = 4;
  const int total = size + 2 * quiet;
  std::string path;
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      // Bit 0 of each module byte: dark.
      if ((code->data[y * size + x] & 1) == 0)
        continue;
      path += "M" + std::to_string(x + quiet) + "," +
              std::to_string(y + quiet) + "h1v1h-1z";
    }
  }
  const std::string n = std::to_string(total);
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + n + " " +
         n + "\" width=\"" + std::to_string(total * 6) + "\" height=\"" +
         std::to_string(total * 6) +
         "\" shape-rendering=\"crispEdges\"><rect width=\"100%\" "
         "height=\"100%\" fill=\"#fff\"/><path fill=\"#000\" d=\"" +
         path + "\"/></svg>";
}

}  // namespace tether::relay::web
