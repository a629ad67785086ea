// tether-supporter: the technician's console. Reads tether-supporter.toml
// (beside the program, ~/.config/tether/, or --config), lets command-line
// options override the relay, and shows the sign-in form.

#include <QApplication>
#include <QCommandLineParser>
#include <QMessageBox>

#include <cstdio>
#include <optional>
#include <string>

#include "base/log.h"
#include "protocol/messages.h"
#include "protocol/relay_overrides.h"
#include "protocol/version.h"
#include "supporter-app/core/supporter_session.h"
#include "supporter-app/ui/mapped_input_sink.h"
#include "supporter-app/ui/style.h"
#include "supporter-app/ui/supporter_app.h"

namespace {

using tether::supporter::SupporterConfig;

int Fail(const QString& message) {
  tether::log::Error("{}", message.toStdString());
  QMessageBox box(QMessageBox::Critical, QStringLiteral("Tether supporter"),
                  QStringLiteral("Tether supporter cannot start."),
                  QMessageBox::Close);
  box.setInformativeText(message);
  box.exec();
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  // Options first, so --help and --version work without a display.
  QStringList arguments;
  for (int i = 0; i < argc; ++i)
    arguments << QString::fromLocal8Bit(argv[i]);
  QCommandLineParser parser;
  parser.setApplicationDescription(
      QStringLiteral("The technician's console for Tether remote support."));
  const QCommandLineOption help_option(
      {QStringLiteral("h"), QStringLiteral("help")},
      QStringLiteral("Show this help."));
  const QCommandLineOption version_option(QStringLiteral("version"),
                                          QStringLiteral("Show the version."));
  const QCommandLineOption config_option(
      QStringLiteral("config"),
      QStringLiteral("Settings file (default: tether-supporter.toml beside "
                     "this program or in ~/.config/tether/)."),
      QStringLiteral("file"));
  const QCommandLineOption relay_option(QStringLiteral("relay"),
                                        QStringLiteral("Relay, host:port."),
                                        QStringLiteral("host:port"));
  const QCommandLineOption fingerprint_option(
      QStringLiteral("fingerprint"),
      QStringLiteral("The relay's pinned key, sha256:<64 hex digits>."),
      QStringLiteral("sha256:..."));
  const QCommandLineOption ca_option(
      QStringLiteral("ca-file"),
      QStringLiteral("Verify the relay against this CA file instead."),
      QStringLiteral("file"));
  const QCommandLineOption proxy_option(
      QStringLiteral("proxy"),
      QStringLiteral("HTTP proxy allowing CONNECT, http://host:port."),
      QStringLiteral("url"));
  const QCommandLineOption user_option(
      QStringLiteral("user"), QStringLiteral("User name for the sign-in form."),
      QStringLiteral("name"));
  const QCommandLineOption protocol_option(
      QStringLiteral("protocol-dir"),
      QStringLiteral("Folder for session protocols and recordings."),
      QStringLiteral("dir"));
  parser.addOptions({help_option, version_option, config_option, relay_option,
                     fingerprint_option, ca_option, proxy_option, user_option,
                     protocol_option});
  const bool parsed = parser.parse(arguments);
  if (!parsed || !parser.positionalArguments().isEmpty()) {
    std::fprintf(
        stderr, "tether-supporter: %s\n",
        parsed ? "unexpected argument" : qPrintable(parser.errorText()));
    return 2;
  }
  if (parser.isSet(help_option)) {
    std::printf("Usage: tether-supporter [options]\n%s\n\nOptions:\n",
                qPrintable(parser.applicationDescription()));
    for (const QCommandLineOption* option :
         {&config_option, &relay_option, &fingerprint_option, &ca_option,
          &proxy_option, &user_option, &protocol_option, &help_option,
          &version_option}) {
      QString names = QStringLiteral("--") + option->names().constLast();
      if (!option->valueName().isEmpty())
        names += QStringLiteral(" <%1>").arg(option->valueName());
      std::printf("  %-26s %s\n", qPrintable(names),
                  qPrintable(option->description()));
    }
    return 0;
  }
  if (parser.isSet(version_option)) {
    std::printf("%s\n",
                tether::protocol::VersionLine("tether-supporter").c_str());
    return 0;
  }

  QApplication app(argc, argv);
  QApplication::setApplicationName(QStringLiteral("tether-supporter"));
  QApplication::setApplicationVersion(QStringLiteral(TETHER_VERSION));
  QApplication::setApplicationDisplayName(QStringLiteral("Tether supporter"));
  QApplication::setQuitOnLastWindowClosed(false);
  tether::log::Init("tether-supporter", tether::log::Level::kInfo);
  tether::protocol::RouteProtobufLogs();
  tether::supporter::ui::ApplySupporterStyle(&app);

  // An empty path lets Load look in its default places.
  auto loaded = SupporterConfig::Load(
      parser.isSet(config_option) ? parser.value(config_option).toStdString()
                                  : std::string());
  if (!loaded.has_value()) {
    return Fail(QStringLiteral("The settings could not be read: %1")
                    .arg(QString::fromStdString(loaded.error().message)));
  }
  SupporterConfig config = std::move(*loaded);
  auto given = [&](const QCommandLineOption& option) {
    return parser.isSet(option)
               ? std::optional(parser.value(option).toStdString())
               : std::nullopt;
  };
  if (auto applied = tether::protocol::ApplyRelayOverrides(
          {given(relay_option), given(fingerprint_option), given(ca_option),
           given(proxy_option)},
          config.relay);
      !applied) {
    return Fail(QString::fromStdString(applied.error().message));
  }
  if (parser.isSet(user_option))
    config.user_name = parser.value(user_option).toStdString();
  if (parser.isSet(protocol_option))
    config.protocol_dir = parser.value(protocol_option).toStdString();

  if (config.relay.host.empty()) {
    return Fail(QStringLiteral(
        "No relay is set up: put relay settings in tether-supporter.toml or "
        "pass --relay."));
  }
  if (config.relay.fingerprint.empty() == config.relay.ca_file.empty()) {
    return Fail(QStringLiteral(
        "The relay needs exactly one of a key fingerprint (fingerprint = "
        "\"sha256:...\") and a CA file (ca_file)."));
  }

  tether::supporter::ui::SupporterApp::Options options;
  options.config = std::move(config);
  options.start_session = &tether::supporter::SupporterSession::Start;
  options.deliver = &tether::supporter::ui::SupporterApp::PostToUiThread;
  options.make_input_sink = [](tether::supporter::SupporterSession* session)
      -> std::unique_ptr<tether::supporter::ui::RemoteInputSink> {
    return std::make_unique<tether::supporter::ui::MappedInputSink>(session);
  };
  tether::supporter::ui::SupporterApp supporter(std::move(options));
  QObject::connect(&supporter, &tether::supporter::ui::SupporterApp::finished,
                   &app, &QCoreApplication::quit, Qt::QueuedConnection);
  supporter.Show();
  return app.exec();
}
