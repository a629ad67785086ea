// tether-supporter-screenshots: renders the states a technician sees — the
// sign-in form (plain and with the untrusted-server warning), the code
// waiting for the customer, the join request, the SAS, the session window
// with a realistic remote desktop, a file transfer in progress, and the
// ended session — with the real widgets driven by a fake session, one PNG
// per state.
//
//   Xvfb :7 -screen 0 1280x800x24 &
//   DISPLAY=:7 QT_QPA_PLATFORM=xcb tether-supporter-screenshots
//   docs/screenshots
//
// (scripts/screenshots supporter does exactly this.)

#include <QApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLinearGradient>
#include <QListWidget>
#include <QMenuBar>
#include <QPainter>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

#include <chrono>
#include <memory>
#include <optional>

#include "protocol/session_end.h"
#include "supporter-app/ui/chat_panel.h"
#include "supporter-app/ui/home_view.h"
#include "supporter-app/ui/join_dialog.h"
#include "supporter-app/ui/main_window.h"
#include "supporter-app/ui/remote_view.h"
#include "supporter-app/ui/session_window.h"
#include "supporter-app/ui/sign_in_view.h"
#include "supporter-app/ui/style.h"
#include "supporter-app/ui/supporter_app.h"
#include "tests/fakes/fake_supporter_session.h"
#include "tests/supporter_ui/test_pictures.h"
#include "tools/screenshot_shooter.h"

namespace {

using namespace tether;
using namespace tether::supporter;
using namespace tether::supporter::ui;

// The customer's desktop: a wallpaper, a panel, a text editor with a
// config file and a printer dialog, drawn from real (unshown) widgets so
// the text looks like text.
QImage CustomerDesktop(QSize size) {
  QImage image(size, QImage::Format_RGB32);
  QPainter p(&image);
  QLinearGradient sky(0, 0, size.width(), size.height());
  sky.setColorAt(0, QColor(0x2F, 0x5D, 0x7C));
  sky.setColorAt(1, QColor(0x7F, 0xA8, 0xBF));
  p.fillRect(image.rect(), sky);
  // The top panel with a clock.
  p.fillRect(QRect(0, 0, size.width(), 30), QColor(0x20, 0x22, 0x26));
  QFont panel_font(QStringLiteral("DejaVu Sans"), 10);
  p.setFont(panel_font);
  p.setPen(QColor(0xEE, 0xEE, 0xEE));
  p.drawText(QRect(12, 0, 300, 30), Qt::AlignVCenter,
             QStringLiteral("Activities     Text Editor"));
  p.drawText(QRect(0, 0, size.width(), 30), Qt::AlignCenter,
             QStringLiteral("Thu 10:42"));

  // A text editor window.
  QWidget editor;
  editor.setAttribute(Qt::WA_DontShowOnScreen);
  auto* layout = new QVBoxLayout(&editor);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->setSpacing(0);
  auto* menu = new QMenuBar(&editor);
  for (const char* name : {"File", "Edit", "View", "Search", "Tools", "Help"})
    menu->addMenu(QString::fromLatin1(name));
  layout->addWidget(menu);
  auto* text = new QPlainTextEdit(&editor);
  text->setFont(QFont(QStringLiteral("DejaVu Sans Mono"), 11));
  text->setPlainText(QStringLiteral(
      "# /etc/cups/printers.conf - written by cupsd\n"
      "<DefaultPrinter Office-2F>\n"
      "  UUID urn:uuid:5f1c2a8e-3b9d-4c1e-9a77-0c2f4e8b1d63\n"
      "  Info HP LaserJet M404 (2nd floor, next to the kitchen)\n"
      "  Location Building A, 2nd floor\n"
      "  MakeModel HP LaserJet Pro M404-M405, hpcups 3.22\n"
      "  DeviceURI ipp://10.20.2.41/ipp/print\n"
      "  State Stopped\n"
      "  StateMessage Unable to locate printer \"10.20.2.41\".\n"
      "  Type 8425484\n"
      "  Accepting Yes\n"
      "  Shared No\n"
      "  JobSheets none none\n"
      "  QuotaPeriod 0\n"
      "  PageLimit 0\n"
      "  KLimit 0\n"
      "  OpPolicy default\n"
      "  ErrorPolicy retry-job\n"
      "</DefaultPrinter>\n"));
  layout->addWidget(text);
  editor.resize(980, 620);
  editor.ensurePolished();
  layout->activate();
  const QPoint editor_at(140, 110);
  p.fillRect(QRect(editor_at - QPoint(0, 34), QSize(980, 34)),
             QColor(0xEB, 0xEB, 0xEB));
  p.setPen(QColor(0x33, 0x33, 0x33));
  p.setFont(QFont(QStringLiteral("DejaVu Sans"), 10, QFont::Bold));
  p.drawText(QRect(editor_at - QPoint(0, 34), QSize(980, 34)), Qt::AlignCenter,
             QStringLiteral("printers.conf \u2014 Text Editor"));
  editor.render(&p, editor_at);

  // A printer dialog on top.
  QWidget dialog;
  dialog.setAttribute(Qt::WA_DontShowOnScreen);
  auto* dl = new QVBoxLayout(&dialog);
  dl->setContentsMargins(18, 16, 18, 16);
  auto* title = new QLabel(QStringLiteral("<b>Printers</b>"), &dialog);
  dl->addWidget(title);
  auto* list = new QListWidget(&dialog);
  list->addItems({QStringLiteral("Office-2F  \u2014  stopped"),
                  QStringLiteral("Reception colour  \u2014  idle"),
                  QStringLiteral("PDF  \u2014  idle")});
  list->setCurrentRow(0);
  dl->addWidget(list);
  auto* row = new QHBoxLayout;
  row->addWidget(new QLabel(QStringLiteral("Address:"), &dialog));
  row->addWidget(new QLineEdit(QStringLiteral("10.20.2.41"), &dialog));
  dl->addLayout(row);
  auto* buttons = new QHBoxLayout;
  buttons->addStretch(1);
  buttons->addWidget(new QPushButton(QStringLiteral("Test page"), &dialog));
  buttons->addWidget(new QPushButton(QStringLiteral("Close"), &dialog));
  dl->addLayout(buttons);
  dialog.resize(460, 300);
  dialog.ensurePolished();
  dl->activate();
  const QPoint dialog_at(size.width() - 640, size.height() - 440);
  p.fillRect(QRect(dialog_at + QPoint(8, 8), dialog.size()),
             QColor(0, 0, 0, 60));
  dialog.render(&p, dialog_at);
  // The dock.
  p.fillRect(QRect(size.width() / 2 - 220, size.height() - 64, 440, 56),
             QColor(0x20, 0x22, 0x26, 220));
  for (int i = 0; i < 6; ++i) {
    p.setBrush(QColor::fromHsv(30 + i * 55, 140, 220));
    p.setPen(Qt::NoPen);
    p.drawRoundedRect(size.width() / 2 - 200 + i * 70, size.height() - 56, 44,
                      40, 8, 8);
  }
  return image;
}

struct Scenario {
  tether::test::FakeSupporterSession* fake = nullptr;
  int starts = 0;
  std::unique_ptr<SupporterApp> app;

  Scenario() {
    SupporterApp::Options options;
    options.config.relay.host = "relay.example.com";
    options.config.relay.port = 8443;
    options.config.user_name = "alex.meyer";
    options.start_session =
        tether::test::FakeSupporterSessionFactory(&fake, &starts);
    options.deliver = [](std::function<void()> fn) { fn(); };
    app = std::make_unique<SupporterApp>(std::move(options));
    app->Show();
  }
  void SignIn() {
    app->sign_in()->password_edit()->setText(QStringLiteral("password"));
    app->sign_in()->sign_in_button()->click();
    SignInResult result;
    result.status = SignInStatus::kSignedIn;
    result.display_name = "Alex Meyer";
    fake->observer->OnSignIn(result);
  }
  void Code() {
    app->home()->new_session_button()->click();
    fake->observer->OnCode("48291375", std::chrono::system_clock::now() +
                                           std::chrono::seconds(9 * 60 + 41));
  }
  void Join() {
    fake->observer->OnJoinRequest("sam-laptop", "sam", "10.20.7.115");
  }
  void Agree() {
    app->join_dialog()->accept_button()->click();
    fake->observer->OnStateChanged(protocol::SessionState::kKeyExchange);
    fake->observer->OnSas("482913");
    fake->observer->OnStateChanged(protocol::SessionState::kSecured);
  }
};

}  // namespace

int main(int argc, char** argv) {
  QApplication qt(argc, argv);
  QApplication::setQuitOnLastWindowClosed(false);
  ApplySupporterStyle(&qt);
  std::optional<tools::Shooter> shooter =
      tools::Shooter::ForArguments(argc, argv, QStringLiteral("supporter-"));
  if (!shooter)
    return 1;
  tools::Shooter& shot = *shooter;

  {
    Scenario s;
    shot.Window(s.app->main_window(), "sign-in");
    s.app->sign_in()->password_edit()->setText(QStringLiteral("password"));
    s.app->sign_in()->sign_in_button()->click();
    SignInResult totp;
    totp.status = SignInStatus::kTotpRequired;
    s.fake->observer->OnSignIn(totp);
    s.app->sign_in()->totp_edit()->setText(QStringLiteral("4821"));
    shot.Window(s.app->main_window(), "sign-in-totp");
    SignInResult untrusted;
    untrusted.status = SignInStatus::kServerUntrusted;
    untrusted.message =
        "The relay's key is sha256:9f3c\u2026 but IT configured "
        "sha256:41aa\u2026.";
    s.app->sign_in()->sign_in_button()->setEnabled(true);
    s.fake->observer->OnSignIn(untrusted);
    shot.Window(s.app->main_window(), "sign-in-untrusted");
    SignInResult outdated;
    outdated.status = SignInStatus::kRelayOutdated;
    outdated.message = std::string(protocol::kOutdatedRelayText) +
                       " Your password was not sent.";
    s.app->sign_in()->sign_in_button()->setEnabled(true);
    s.fake->observer->OnSignIn(outdated);
    shot.Window(s.app->main_window(), "sign-in-outdated-relay");
  }
  {
    Scenario s;
    s.SignIn();
    shot.Window(s.app->main_window(), "home");
    s.Code();
    shot.Window(s.app->main_window(), "code");
    s.Join();
    shot.Window(s.app->join_dialog(), "join-request");
    s.Agree();
    shot.Window(s.app->main_window(), "sas");

    s.fake->observer->OnRecording(true,
                                  "/home/alex/Documents/Tether sessions/"
                                  "2024-05-02 10.41 sam-laptop.webm");
    s.fake->observer->OnCustomerAgreed(true);
    SessionWindow* window = s.app->session_window();
    window->resize(1240, 760);
    proto::Monitor monitor;
    monitor.set_index(0);
    monitor.set_name("eDP-1");
    monitor.mutable_bounds()->set_width(1920);
    monitor.mutable_bounds()->set_height(1080);
    monitor.set_primary(true);
    s.fake->observer->OnMonitors({monitor});
    CustomerGrants grants;
    grants.viewing = true;
    s.fake->observer->OnAnswer(proto::PERMISSION_VIEW_SCREEN, true);
    s.fake->observer->OnGrantsChanged(grants);
    const QImage desktop = CustomerDesktop({1920, 1080});
    if (qEnvironmentVariableIsSet("TETHER_SAVE_DESKTOP"))
      desktop.save(qEnvironmentVariable("TETHER_SAVE_DESKTOP"));
    s.fake->observer->OnPicture(
        ui::test::Picture(ui::test::FrameFromImage(desktop), 1));
    proto::CursorPosition cursor;
    cursor.set_x(1470);
    cursor.set_y(790);
    s.fake->observer->OnCursor(cursor);
    VideoStats stats;
    stats.frames_per_second = 30;
    stats.kilobits_per_second = 1840;
    stats.round_trip_ms = 18;
    stats.decode_ms = 2.7;
    s.fake->observer->OnStats(stats);
    s.fake->observer->OnChat(
        "Hi, the printer on the 2nd floor stopped "
        "working this morning.",
        false);
    s.fake->observer->OnChat("I see it. I'll take control for a moment.", true);
    window->control_action()->trigger();
    s.fake->observer->OnAnswer(proto::PERMISSION_REMOTE_CONTROL, true);
    grants.control = true;
    s.fake->observer->OnGrantsChanged(grants);
    shot.Window(window, "session");

    window->SendFile(QStringLiteral("/home/alex/drivers/hplip-3.22.10.run"));
    FileTransfer transfer;
    transfer.file_id = 1;
    transfer.name = "hplip-3.22.10.run";
    transfer.size = 31'456'728;
    transfer.sent = 19'874'000;
    transfer.state = FileTransfer::State::kSending;
    s.fake->observer->OnTransfer(transfer);
    FileTransfer done;
    done.file_id = 2;
    done.name = "printer-setup-guide.pdf";
    done.size = 845'112;
    done.sent = done.size;
    done.state = FileTransfer::State::kDone;
    s.fake->observer->OnTransfer(done);
    shot.Window(window, "transfer");

    s.fake->observer->OnEnded([] {
      protocol::SessionEnd end;
      end.reason = proto::END_REASON_PEER_ENDED;
      end.message = "The customer ended the session.";
      return end;
    }());
    shot.Window(window, "ended-window");
    shot.Window(s.app->main_window(), "ended");
  }
  {
    // A customer in a browser: the picture only, control never offered.
    Scenario s;
    s.SignIn();
    s.Code();
    s.Join();
    s.Agree();
    s.fake->observer->OnViewOnly();
    s.fake->observer->OnCustomerAgreed(true);
    SessionWindow* window = s.app->session_window();
    window->resize(1240, 760);
    CustomerGrants grants;
    grants.viewing = true;
    s.fake->observer->OnAnswer(proto::PERMISSION_VIEW_SCREEN, true);
    s.fake->observer->OnGrantsChanged(grants);
    s.fake->observer->OnPicture(ui::test::Picture(
        ui::test::FrameFromImage(CustomerDesktop({1920, 1080})), 1));
    shot.Window(window, "session-view-only");
  }
  return shot.failures() == 0 ? 0 : 1;
}
