#include "protocol/proxy_settings.h"

#include "base/ascii.h"
#include "protocol/host_port.h"

namespace tether::protocol {
namespace {

// The first of `names` that is set and not empty.
const char* FirstSet(const EnvironmentLookup& getenv,
                     std::initializer_list<const char*> names) {
  for (const char* name : names) {
    const char* value = getenv(name);
    if (value != nullptr && *value != '\0')
      return value;
  }
  return nullptr;
}

bool ListedInNoProxy(std::string_view list, std::string_view host) {
  const std::string wanted = AsciiLower(host);
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string_view entry = TrimSpace(list.substr(0, comma));
    if (entry == "*" || AsciiLower(entry) == wanted)
      return true;
    if (comma == std::string_view::npos)
      break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

std::string ProxyAddress::ToString() const {
  return JoinHostPort(host, port);
}

Result<ProxyAddress> ParseProxyUrl(std::string_view url) {
  const std::string original(url);
  url = TrimSpace(url);
  if (const size_t scheme_end = url.find("://");
      scheme_end != std::string_view::npos) {
    const std::string scheme = AsciiLower(url.substr(0, scheme_end));
    if (scheme != "http") {
      return MakeError("proxy \"" + original +
                       "\": only http:// proxies are "
                       "supported (the connection to the relay is encrypted "
                       "inside the tunnel anyway)");
    }
    url.remove_prefix(scheme_end + 3);
  }
  if (!url.empty() && url.back() == '/')
    url.remove_suffix(1);
  if (url.find('@') != std::string_view::npos) {
    return MakeError("proxy \"" + original +
                     "\": proxy user names and "
                     "passwords are not supported");
  }
  if (url.find('/') != std::string_view::npos) {
    return MakeError("proxy \"" + original +
                     "\": expected host:port "
                     "without a path");
  }
  auto parsed = ParseHostPort(url, 80);
  if (!parsed) {
    return MakeError("proxy \"" + original + "\": " + parsed.error().message);
  }
  return ProxyAddress{std::move(parsed->host), parsed->port};
}

Result<std::optional<ProxyAddress>> ChooseProxy(
    std::string_view configured,
    std::string_view relay_host,
    const EnvironmentLookup& getenv) {
  std::string url(TrimSpace(configured));
  if (url.empty()) {
    const char* from_env = FirstSet(getenv, {"https_proxy", "HTTPS_PROXY"});
    if (from_env == nullptr)
      return std::optional<ProxyAddress>();
    if (const char* no_proxy = FirstSet(getenv, {"no_proxy", "NO_PROXY"});
        no_proxy != nullptr && ListedInNoProxy(no_proxy, relay_host)) {
      return std::optional<ProxyAddress>();
    }
    url = from_env;
  }
  TETHER_TRY(address, ParseProxyUrl(url));
  return std::optional<ProxyAddress>(std::move(*address));
}

}  // namespace tether::protocol
