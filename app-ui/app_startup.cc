#include "app-ui/app_startup.h"

#include <QApplication>
#include <QMessageBox>
#include <QStringList>

#include <cstdio>
#include <string>

#include "base/log.h"
#include "protocol/messages.h"
#include "protocol/version.h"

namespace tether::app_ui {
namespace {

QString Capitalized(QString text) {
  if (!text.isEmpty())
    text[0] = text[0].toUpper();
  return text;
}

}  // namespace

AppCommandLine::AppCommandLine(const AppIdentity& identity,
                               const QString& config_help)
    : identity_(identity),
      help_({QStringLiteral("h"), QStringLiteral("help")},
            QStringLiteral("Show this help.")),
      version_(QStringLiteral("version"), QStringLiteral("Show the version.")),
      config_(QStringLiteral("config"), config_help, QStringLiteral("file")),
      relay_(QStringLiteral("relay"),
             QStringLiteral("%1, host:port.")
                 .arg(Capitalized(identity.relay_name)),
             QStringLiteral("host:port")),
      fingerprint_(
          QStringLiteral("fingerprint"),
          QStringLiteral("The %1's pinned key, sha256:<64 hex digits>.")
              .arg(identity.relay_name),
          QStringLiteral("sha256:...")),
      ca_file_(QStringLiteral("ca-file"),
               QStringLiteral("Verify the %1 against this CA file instead of "
                              "a pinned key.")
                   .arg(identity.relay_name),
               QStringLiteral("file")),
      proxy_(QStringLiteral("proxy"),
             QStringLiteral("HTTP proxy allowing CONNECT, http://host:port."),
             QStringLiteral("url")) {
  parser_.setApplicationDescription(identity.description);
  parser_.addOptions(
      {help_, version_, config_, relay_, fingerprint_, ca_file_, proxy_});
}

void AppCommandLine::AddOption(const QCommandLineOption& option) {
  parser_.addOption(option);
  own_.append(option);
}

std::optional<int> AppCommandLine::Parse(int argc, char** argv) {
  QStringList arguments;
  for (int i = 0; i < argc; ++i)
    arguments << QString::fromLocal8Bit(argv[i]);
  const bool parsed = parser_.parse(arguments);
  if (!parsed || !parser_.positionalArguments().isEmpty()) {
    std::fprintf(
        stderr, "%s: %s\n", identity_.program,
        parsed ? "unexpected argument" : qPrintable(parser_.errorText()));
    return 2;
  }
  if (parser_.isSet(help_)) {
    PrintHelp();
    return 0;
  }
  if (parser_.isSet(version_)) {
    std::printf("%s\n", protocol::VersionLine(identity_.program).c_str());
    return 0;
  }
  return std::nullopt;
}

void AppCommandLine::PrintHelp() const {
  std::printf("Usage: %s [options]\n%s\n\nOptions:\n", identity_.program,
              qPrintable(identity_.description));
  QList<const QCommandLineOption*> listed = {&config_, &relay_, &fingerprint_,
                                             &ca_file_, &proxy_};
  for (const QCommandLineOption& option : own_)
    listed.append(&option);
  listed.append(&help_);
  listed.append(&version_);
  for (const QCommandLineOption* option : listed) {
    QStringList names;
    for (const QString& name : option->names()) {
      names << (name.size() == 1 ? QStringLiteral("-") : QStringLiteral("--")) +
                   name;
    }
    QString shown = names.join(QStringLiteral(", "));
    if (!option->valueName().isEmpty())
      shown += QStringLiteral(" <%1>").arg(option->valueName());
    std::printf("  %-26s %s\n", qPrintable(shown),
                qPrintable(option->description()));
  }
}

bool AppCommandLine::IsSet(const QCommandLineOption& option) const {
  return parser_.isSet(option);
}

QString AppCommandLine::Value(const QCommandLineOption& option) const {
  return parser_.value(option);
}

std::optional<QString> AppCommandLine::config_file() const {
  if (!parser_.isSet(config_))
    return std::nullopt;
  return parser_.value(config_);
}

protocol::RelayOverrides AppCommandLine::relay_overrides() const {
  auto given = [&](const QCommandLineOption& option) {
    return parser_.isSet(option)
               ? std::optional(parser_.value(option).toStdString())
               : std::nullopt;
  };
  return {given(relay_), given(fingerprint_), given(ca_file_), given(proxy_)};
}

void SetUpApplication(const AppIdentity& identity) {
  QApplication::setApplicationName(QString::fromLatin1(identity.program));
  QApplication::setApplicationVersion(QStringLiteral(TETHER_VERSION));
  QApplication::setApplicationDisplayName(identity.display_name);
  QApplication::setQuitOnLastWindowClosed(false);
  log::Init(identity.program, log::Level::kInfo);
  protocol::RouteProtobufLogs();
}

int FailToStart(const AppIdentity& identity, const QString& why) {
  log::Error("{}", why.toStdString());
  QMessageBox box(QMessageBox::Critical, identity.display_name,
                  QStringLiteral("%1 cannot start.").arg(identity.display_name),
                  QMessageBox::Close);
  box.setInformativeText(identity.start_failure_advice.isEmpty()
                             ? why
                             : why + QStringLiteral("\n\n") +
                                   identity.start_failure_advice);
  box.exec();
  return 2;
}

}  // namespace tether::app_ui
