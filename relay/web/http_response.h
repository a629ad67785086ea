#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tether::relay::web {

// One answer. Serialize() adds the headers every answer carries: length,
// connection, and the security headers (CSP without inline script, HSTS,
// frame-ancestors 'none', nosniff, no referrer).
struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Extra headers: Set-Cookie, Content-Disposition, Retry-After, ...
  std::vector<std::pair<std::string, std::string>> headers;
  // Static files may be cached by the browser; API answers never are.
  bool cacheable = false;
  // A download streamed from this file after the head (`body` stays
  // empty): exactly `file_size` bytes.
  std::filesystem::path file;
  uint64_t file_size = 0;

  std::string Serialize(bool keep_alive) const;
};

// {"error": message, "code": code} with that status.
HttpResponse JsonError(int status,
                       std::string_view code,
                       std::string_view message);
// The same for an answer the client may repeat later: "retry_after" in the
// body and a Retry-After header, in seconds (nothing when 0).
HttpResponse JsonError(int status,
                       std::string_view code,
                       std::string_view message,
                       uint32_t retry_after_seconds);
// 200 with a JSON body (already serialized).
HttpResponse JsonOk(std::string json, int status = 200);
// 204 No Content.
HttpResponse NoContent();

// "OK", "Not Found", ... for the status line.
std::string_view StatusText(int status);

}  // namespace tether::relay::web
