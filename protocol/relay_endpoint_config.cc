#include "protocol/relay_endpoint_config.h"

#include <string>

#include "base/ascii.h"
#include "config/fields.h"
#include "crypto/certificate.h"
#include "protocol/host_port.h"

namespace tether::protocol {
namespace {

// Reads a one-line string of at most `max_bytes`.
Result<std::string> ReadLine(const toml::node& node, size_t max_bytes) {
  TETHER_TRY(text, config::ReadString(node, "a string"));
  if (auto ok = config::CheckText(*text, max_bytes, /*allow_empty=*/true,
                                  /*multiline=*/false);
      !ok) {
    return Unexpected(std::move(ok).error());
  }
  return std::string(*text);
}

}  // namespace

Result<std::vector<HostPort>> ParseRelayList(
    const std::vector<std::string>& texts,
    uint16_t default_port) {
  if (texts.empty() || texts.size() > kMaxRelayHosts) {
    return MakeError("must list 1 to " + std::to_string(kMaxRelayHosts) +
                     " relays, not " + std::to_string(texts.size()));
  }
  std::vector<HostPort> hosts;
  for (const std::string& text : texts) {
    const std::string which = "entry " + std::to_string(hosts.size() + 1) +
                              " \"" + std::string(TrimSpace(text)) + "\"";
    // The same rules as the apps' --relay.
    auto host_port = ParseHostPort(text, default_port);
    if (!host_port) {
      return MakeError(which +
                       " must be a host name or an IP address, with an "
                       "optional :port (" +
                       host_port.error().message + ")");
    }
    for (const HostPort& other : hosts) {
      if (AsciiLower(other.host) == AsciiLower(host_port->host) &&
          other.port == host_port->port)
        return MakeError(which + " is listed twice");
    }
    hosts.push_back(*std::move(host_port));
  }
  return hosts;
}

namespace {

// The apps never describe their config, so these fields have no describer.
using Field = config::Field<RelayEndpoint>;

Field HostField() {
  Field field{"host", nullptr, nullptr};
  field.read = [](const toml::node& node,
                  RelayEndpoint& relay) -> Result<void> {
    TETHER_TRY(text, ReadLine(node, 253));
    // The same rules as the apps' --relay.
    auto host = ParseHost(*text);
    if (!host) {
      return MakeError("must be a host name or an IP address (" +
                       host.error().message + ")");
    }
    relay.host = *std::move(host);
    return {};
  };
  return field;
}

// hosts = ["relay1.example.net", "relay2.example.net:8443", "[2001:db8::7]"]
Field HostsField() {
  Field field{"hosts", nullptr, nullptr};
  field.read = [](const toml::node& node,
                  RelayEndpoint& relay) -> Result<void> {
    const auto* array = node.as_array();
    if (array == nullptr) {
      return config::WrongType(
          node, "a list such as [\"relay1.example.net\", \"relay2:8443\"]");
    }
    if (array->empty() || array->size() > kMaxRelayHosts) {
      return MakeError("must list 1 to " + std::to_string(kMaxRelayHosts) +
                       " relays, not " + std::to_string(array->size()));
    }
    std::vector<std::string> texts;
    for (const toml::node& element : *array) {
      auto text = config::ReadString(element, "\"host\" or \"host:port\"");
      if (!text) {
        return MakeError("entry " + std::to_string(texts.size() + 1) + ": " +
                         text.error().message);
      }
      texts.emplace_back(*text);
    }
    // Port 0: the `port` key, which may come later in the file.
    TETHER_TRY(hosts, ParseRelayList(texts, 0));
    // Where the apps show or check "the relay", they see the first one.
    relay.host = hosts->front().host;
    relay.hosts = *std::move(hosts);
    return {};
  };
  return field;
}

Field FingerprintField() {
  Field field{"fingerprint", nullptr, nullptr};
  field.read = [](const toml::node& node,
                  RelayEndpoint& relay) -> Result<void> {
    TETHER_TRY(text, ReadLine(node, 128));
    if (auto format = crypto::CheckFingerprintFormat(*text); !format) {
      return MakeError(format.error().message +
                       " (on the relay: tether-relay cert show)");
    }
    // Stored in the form the session engine compares.
    relay.fingerprint = AsciiLower(*text);
    return {};
  };
  return field;
}

Field ProxyField() {
  Field field{"proxy", nullptr, nullptr};
  field.read = [](const toml::node& node,
                  RelayEndpoint& relay) -> Result<void> {
    TETHER_TRY(text, ReadLine(node, 512));
    if (!text->empty() && !text->starts_with("http://"))
      return MakeError("must look like \"http://host:port\"");
    relay.proxy = *std::move(text);
    return {};
  };
  return field;
}

}  // namespace

std::vector<config::Field<RelayEndpoint>> RelayEndpointFields(
    const std::filesystem::path& folder) {
  return {
      HostField(),
      HostsField(),
      config::IntegerField<RelayEndpoint>(
          "port", [](auto& r) -> auto& { return r.port; }, 1, 65535),
      FingerprintField(),
      config::FileBesideField<RelayEndpoint>(
          "ca_file", [](auto& r) -> auto& { return r.ca_file; }, folder),
      ProxyField(),
  };
}

void CheckRelayEndpoint(const RelayEndpoint& relay,
                        const config::KeyLines& lines,
                        config::Problems& problems) {
  if (lines.Of("relay.host") != 0 && lines.Of("relay.hosts") != 0) {
    problems.Add(lines.Of("relay.hosts"),
                 "relay: set host (one relay) or hosts (a list), not both");
  } else if (relay.host.empty()) {
    problems.Add(0, "relay.host is not set");
  }
  if (relay.fingerprint.empty() == relay.ca_file.empty()) {
    problems.Add(0, "set exactly one of relay.fingerprint and relay.ca_file");
  }
}

}  // namespace tether::protocol
