// tether-customer: the one-shot app the customer runs to be helped. It reads
// the config IT placed beside it, asks for the technician's code, and shows
// every prompt; it installs nothing, starts nothing at login and exits when
// the session ends. There is deliberately no option that skips a prompt or
// hides a window.

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QMessageBox>

#include <cstdio>
#include <optional>
#include <string>

#include "base/log.h"
#include "customer-app/core/customer_session.h"
#include "customer-app/ui/customer_app.h"
#include "customer-app/ui/style.h"
#include "protocol/messages.h"
#include "protocol/relay_overrides.h"
#include "protocol/version.h"

namespace {

using tether::customer::CustomerConfig;

constexpr char kDefaultConfigName[] = "tether-customer.toml";

int Fail(const QString& message) {
  tether::log::Error("{}", message.toStdString());
  QMessageBox box(QMessageBox::Critical, QStringLiteral("Tether"),
                  QStringLiteral("Tether cannot start."), QMessageBox::Close);
  box.setInformativeText(message +
                         QStringLiteral("\n\nPlease call your IT department."));
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
  parser.setApplicationDescription(QStringLiteral(
      "Remote support from your company's IT: enter the code your "
      "technician gives you."));
  const QCommandLineOption help_option(
      {QStringLiteral("h"), QStringLiteral("help")},
      QStringLiteral("Show this help."));
  const QCommandLineOption version_option(QStringLiteral("version"),
                                          QStringLiteral("Show the version."));
  const QCommandLineOption config_option(
      QStringLiteral("config"),
      QStringLiteral("Settings file (default: %1 beside this program).")
          .arg(QLatin1String(kDefaultConfigName)),
      QStringLiteral("file"));
  const QCommandLineOption relay_option(
      QStringLiteral("relay"), QStringLiteral("Support server, host:port."),
      QStringLiteral("host:port"));
  const QCommandLineOption fingerprint_option(
      QStringLiteral("fingerprint"),
      QStringLiteral("The server's pinned key, sha256:<64 hex digits>."),
      QStringLiteral("sha256:..."));
  const QCommandLineOption ca_option(
      QStringLiteral("ca-file"),
      QStringLiteral("Verify the server against this CA file instead of a "
                     "pinned key."),
      QStringLiteral("file"));
  const QCommandLineOption proxy_option(
      QStringLiteral("proxy"),
      QStringLiteral("HTTP proxy allowing CONNECT, http://host:port."),
      QStringLiteral("url"));
  parser.addOptions({help_option, version_option, config_option, relay_option,
                     fingerprint_option, ca_option, proxy_option});
  const bool parsed = parser.parse(arguments);
  if (!parsed || !parser.positionalArguments().isEmpty()) {
    std::fprintf(
        stderr, "tether-customer: %s\n",
        parsed ? "unexpected argument" : qPrintable(parser.errorText()));
    return 2;
  }
  if (parser.isSet(help_option)) {
    std::printf(
        "Usage: tether-customer [options]\n%s\n\nOptions:\n"
        "  --config <file>          %s\n"
        "  --relay <host:port>      %s\n"
        "  --fingerprint <sha256:…> %s\n"
        "  --ca-file <file>         %s\n"
        "  --proxy <url>            %s\n"
        "  -h, --help               %s\n"
        "  --version                %s\n",
        qPrintable(parser.applicationDescription()),
        qPrintable(config_option.description()),
        qPrintable(relay_option.description()),
        qPrintable(fingerprint_option.description()),
        qPrintable(ca_option.description()),
        qPrintable(proxy_option.description()),
        qPrintable(help_option.description()),
        qPrintable(version_option.description()));
    return 0;
  }
  if (parser.isSet(version_option)) {
    std::printf("%s\n",
                tether::protocol::VersionLine("tether-customer").c_str());
    return 0;
  }

  QApplication app(argc, argv);
  QApplication::setApplicationName(QStringLiteral("tether-customer"));
  QApplication::setApplicationVersion(QStringLiteral(TETHER_VERSION));
  QApplication::setApplicationDisplayName(QStringLiteral("Tether"));
  QApplication::setQuitOnLastWindowClosed(false);
  tether::log::Init("tether-customer", tether::log::Level::kInfo);
  tether::protocol::RouteProtobufLogs();

  tether::customer::ui::ApplyCustomerStyle(&app);

  // The settings IT ships beside the program; none at all is fine when the
  // command line names the server.
  CustomerConfig config;
  const bool explicit_config = parser.isSet(config_option);
  const QString config_path =
      explicit_config ? parser.value(config_option)
                      : QDir(QCoreApplication::applicationDirPath())
                            .filePath(QLatin1String(kDefaultConfigName));
  if (explicit_config || QFileInfo::exists(config_path)) {
    auto loaded = CustomerConfig::Load(config_path.toStdString());
    if (!loaded.has_value()) {
      return Fail(QStringLiteral("The settings file %1 could not be read: %2")
                      .arg(config_path,
                           QString::fromStdString(loaded.error().message)));
    }
    config = std::move(*loaded);  // relative paths resolved by Load
  }

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

  if (config.relay.host.empty()) {
    return Fail(
        QStringLiteral(
            "No support server is set up: %1 is missing and no --relay was "
            "given.")
            .arg(config_path));
  }
  if (config.relay.fingerprint.empty() == config.relay.ca_file.empty()) {
    return Fail(QStringLiteral(
        "The support server needs exactly one of a key fingerprint "
        "(fingerprint = \"sha256:...\") and a CA file (ca_file)."));
  }

  tether::customer::ui::CustomerApp::Options options;
  options.config = std::move(config);
  options.start_session = &tether::customer::CustomerSession::Start;
  options.deliver = &tether::customer::ui::CustomerApp::PostToUiThread;
  tether::customer::ui::CustomerApp customer(std::move(options));
  QObject::connect(&customer, &tether::customer::ui::CustomerApp::finished,
                   &app, &QCoreApplication::quit, Qt::QueuedConnection);
  customer.Show();
  return app.exec();
}
