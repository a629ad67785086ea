#include "relay/web/http_response.h"

#include "base/json_string.h"

namespace tether::relay::web {
namespace {

// Only the relay's own files: no inline script or style, no frames, no
// other origin; images also as data: URLs (the TOTP QR code).
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

}  // namespace

std::string_view StatusText(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 423:
      return "Locked";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

std::string HttpResponse::Serialize(bool keep_alive) const {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " +
                    std::string(StatusText(status)) + "\r\n";
  auto add = [&out](std::string_view name, std::string_view value) {
    out.append(name).append(": ").append(value).append("\r\n");
  };
  if (status != 204) {
    add("Content-Type", content_type);
    add("Content-Length",
        std::to_string(file.empty() ? body.size() : file_size));
  }
  add("Connection", keep_alive ? "keep-alive" : "close");
  add("Cache-Control", cacheable ? "no-cache" : "no-store");
  add("Content-Security-Policy", kContentSecurityPolicy);
  add("Strict-Transport-Security", "max-age=31536000");
  add("X-Content-Type-Options", "nosniff");
  add("X-Frame-Options", "DENY");
  add("Referrer-Policy", "no-referrer");
  add("Cross-Origin-Opener-Policy", "same-origin");
  add("Cross-Origin-Resource-Policy", "same-origin");
  for (const auto& [name, value] : headers)
    add(name, value);
  out += "\r\n";
  if (status != 204)
    out += body;
  return out;
}

HttpResponse JsonError(int status,
                       std::string_view code,
                       std::string_view message) {
  return JsonError(status, code, message, 0);
}

HttpResponse JsonError(int status,
                       std::string_view code,
                       std::string_view message,
                       uint32_t retry_after_seconds) {
  HttpResponse response;
  response.status = status;
  response.body = "{\"error\":";
  AppendJsonString(response.body, message);
  response.body += ",\"code\":";
  AppendJsonString(response.body, code);
  if (retry_after_seconds > 0) {
    const std::string after = std::to_string(retry_after_seconds);
    response.body += ",\"retry_after\":" + after;
    response.headers.emplace_back("Retry-After", after);
  }
  response.body += "}";
  return response;
}

HttpResponse JsonOk(std::string json, int status) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(json);
  return response;
}

HttpResponse NoContent() {
  HttpResponse response;
  response.status = 204;
  response.content_type.clear();
  return response;
}

}  // namespace tether::relay::web
