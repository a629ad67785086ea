// tether-customer-screenshots: renders every state the customer can see —
// the start window (empty, valid code, each problem), every prompt, the
// panel, the control border on the desktop, the technician's screen
// (view switch), the ended window — with the
// real widgets driven by a fake session, and saves one PNG per state.
//
//   Xvfb :7 -screen 0 1280x800x24 &
//   DISPLAY=:7 QT_QPA_PLATFORM=xcb tether-customer-screenshots docs/screenshots
//
// (scripts/screenshots customer does exactly this.) Windows are saved with
// QWidget::grab(); the desktop shots grab the whole X screen.

#include <QApplication>
#include <QImage>
#include <QLinearGradient>
#include <QPainter>
#include <QPushButton>
#include <QScreen>
#include <QWidget>

#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "customer-app/ui/consent_dialogs.h"
#include "customer-app/ui/control_border.h"
#include "customer-app/ui/customer_app.h"
#include "customer-app/ui/ended_window.h"
#include "customer-app/ui/session_code_edit.h"
#include "customer-app/ui/session_panel.h"
#include "customer-app/ui/start_window.h"
#include "customer-app/ui/style.h"
#include "customer-app/ui/technician_screen_window.h"
#include "protocol/session_end.h"
#include "tests/fakes/fake_customer_session.h"
#include "tools/screenshot_shooter.h"

namespace {

using namespace tether;
using namespace tether::customer;
using namespace tether::customer::ui;

// A stand-in for the customer's desktop behind the panel and the border.
class Backdrop : public QWidget {
 public:
  Backdrop() : QWidget(nullptr, Qt::Window | Qt::FramelessWindowHint) {}

 protected:
  void paintEvent(QPaintEvent*) override {
    QPainter p(this);
    QLinearGradient sky(0, 0, 0, height());
    sky.setColorAt(0, QColor(0x3A, 0x6E, 0x8F));
    sky.setColorAt(1, QColor(0x8C, 0xB3, 0xC9));
    p.fillRect(rect(), sky);
    // A document window the technician is looking at.
    const QRect doc(90, 90, 620, 520);
    p.fillRect(doc.translated(6, 6), QColor(0, 0, 0, 50));
    p.fillRect(doc, Qt::white);
    p.fillRect(QRect(doc.left(), doc.top(), doc.width(), 36),
               QColor(0xE4, 0xE8, 0xED));
    QFont font = p.font();
    font.setPointSize(12);
    p.setFont(font);
    p.setPen(QColor(0x33, 0x33, 0x33));
    p.drawText(doc.adjusted(14, 0, 0, 0).topLeft() + QPoint(0, 24),
               QStringLiteral("Printer settings"));
    p.setPen(QColor(0xB0, 0xB8, 0xC0));
    for (int y = doc.top() + 70; y < doc.bottom() - 30; y += 28)
      p.drawLine(doc.left() + 24, y, doc.right() - 24 - (y % 90), y);
  }
};

// A stand-in for the technician's desktop, as the view switch shows it:
// a terminal with the steps the technician is showing.
std::shared_ptr<const desktop::DesktopFrame> TechnicianDesktop() {
  QImage image(1280, 800, QImage::Format_RGB32);
  QPainter p(&image);
  p.fillRect(image.rect(), QColor(0x2B, 0x30, 0x3B));
  const QRect term(120, 90, 900, 560);
  p.fillRect(term, QColor(0x1E, 0x1E, 0x1E));
  p.fillRect(QRect(term.left(), term.top(), term.width(), 34),
             QColor(0x3C, 0x3F, 0x41));
  QFont font = p.font();
  font.setPointSize(14);
  p.setFont(font);
  p.setPen(QColor(0xDD, 0xDD, 0xDD));
  p.drawText(term.topLeft() + QPoint(14, 24),
             QStringLiteral("Printer settings — how to add the office "
                            "printer"));
  font.setFamily(QStringLiteral("monospace"));
  p.setFont(font);
  p.setPen(QColor(0x8A, 0xE2, 0x34));
  const char* lines[] = {
      "1. Open Settings > Printers", "2. Click \"Add printer\"",
      "3. Choose \"Office-2F (HP LaserJet)\"", "4. Print a test page"};
  int y = term.top() + 80;
  for (const char* line : lines) {
    p.drawText(term.left() + 24, y, QString::fromUtf8(line));
    y += 36;
  }
  p.end();
  desktop::DesktopFrame frame({image.width(), image.height()});
  for (int row = 0; row < image.height(); ++row) {
    std::memcpy(frame.mutable_data() + static_cast<size_t>(row) *
                                           static_cast<size_t>(frame.stride()),
                image.constScanLine(row),
                static_cast<size_t>(image.width()) * 4);
  }
  return std::make_shared<const desktop::DesktopFrame>(std::move(frame));
}

// One customer app with a fake session, as the customer would drive it.
struct Scenario {
  test::FakeCustomerSession* fake = nullptr;
  int starts = 0;
  std::unique_ptr<CustomerApp> app;

  Scenario() {
    CustomerApp::Options options;
    options.config.organisation = "Example Corp IT Service Desk";
    options.config.relay.host = "relay.example.com";
    options.start_session = test::FakeSessionFactory(&fake, &starts);
    options.deliver = [](std::function<void()> fn) { fn(); };
    options.prompt_arm_delay = std::chrono::milliseconds(0);
    options.host_name = "sam-laptop";
    options.user_name = "sam";
    app = std::make_unique<CustomerApp>(std::move(options));
    app->Show();
  }
  ~Scenario() {
    app->consent()->CloseAll();
    app.reset();
  }
  StartWindow* start() const { return app->start_window(); }
  void Connect(const char* code = "48291375") {
    start()->code_edit()->setText(QString::fromLatin1(code));
    start()->connect_button()->click();
  }
  void Pair() {
    Connect();
    fake->observer->OnStateChanged(protocol::SessionState::kWaitingForPeer);
    fake->observer->OnTechnician("Alex Meyer", "Example Corp IT");
    fake->observer->OnStateChanged(protocol::SessionState::kKeyExchange);
    fake->observer->OnSas("482913");
    fake->observer->OnStateChanged(protocol::SessionState::kSecured);
  }
  void End(proto::EndReason reason,
           const char* message,
           bool local = false,
           bool server_untrusted = false) {
    protocol::SessionEnd end;
    end.reason = reason;
    end.message = message;
    end.local = local;
    end.server_untrusted = server_untrusted;
    End(end);
  }
  void End(const protocol::SessionEnd& end) { fake->observer->OnEnded(end); }
};

PermissionPrompt Permission(proto::Permission permission) {
  PermissionPrompt prompt;
  prompt.permission = permission;
  prompt.technician = "Alex Meyer";
  return prompt;
}

}  // namespace

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setQuitOnLastWindowClosed(false);
  ApplyCustomerStyle(&app);
  std::optional<tools::Shooter> shooter =
      tools::Shooter::ForArguments(argc, argv);
  if (!shooter)
    return 1;
  tools::Shooter& shot = *shooter;

  {  // The start window: empty, half typed, complete.
    Scenario s;
    shot.Window(s.start(), "start-empty");
    s.start()->code_edit()->setText(QStringLiteral("4829 13"));
    shot.Window(s.start(), "start-typing");
    s.start()->code_edit()->setText(QStringLiteral("4829 1375"));
    shot.Window(s.start(), "start-valid-code");
    s.start()->connect_button()->click();
    s.fake->observer->OnStateChanged(protocol::SessionState::kWaitingForPeer);
    shot.Window(s.start(), "start-waiting");
    s.End(proto::END_REASON_CODE_EXPIRED, "This code is wrong or has expired.");
    shot.Window(s.start(), "start-wrong-code");
  }
  {
    Scenario s;
    s.Connect();
    s.End(proto::END_REASON_TIMEOUT,
          "Could not connect to relay.example.com:8443 (timed out).");
    shot.Window(s.start(), "start-unreachable");
  }
  {
    Scenario s;
    s.Connect();
    s.fake->observer->OnStateChanged(protocol::SessionState::kWaitingForPeer);
    s.End(proto::END_REASON_JOIN_REJECTED,
          "The technician did not accept the connection.");
    shot.Window(s.start(), "start-rejected");
  }
  {
    Scenario s;
    s.Connect();
    s.End(proto::END_REASON_PROTOCOL_ERROR,
          "The server's key does not match the pinned fingerprint.",
          /*local=*/false, /*server_untrusted=*/true);
    shot.Window(s.start(), "start-certificate-mismatch");
  }
  {
    Scenario s;
    s.Connect();
    protocol::SessionEnd end;
    end.reason = proto::END_REASON_PROTOCOL_ERROR;
    end.message = protocol::kOutdatedRelayText;
    end.relay_outdated = true;
    s.End(end);
    shot.Window(s.start(), "start-outdated-relay");
  }

  {  // The prompts, the panel, the border, the end.
    Scenario s;
    s.Pair();
    TermsPrompt terms;
    terms.sas = "482913";
    terms.technician = "Alex Meyer";
    terms.organisation = "Example Corp IT";
    terms.recording = true;
    terms.terms_text =
        "Remote support terms of Example Corp IT\n\n"
        "1. Your technician sees your screen and uses your computer only "
        "after you allow it, and only to solve the problem you reported.\n"
        "2. You can take control back or stop the session at any time with "
        "the STOP button or Ctrl+Alt+Shift+S.\n"
        "3. The technician will not open personal files, e-mails or "
        "messages unless you ask them to.\n"
        "4. Sessions may be recorded for quality and audit purposes; "
        "recordings are kept for 30 days.\n"
        "5. Questions: it-servicedesk@example.com, phone 1234.";
    s.fake->consent->AskTerms(terms, [](bool) {});
    shot.Window(s.app->consent()->open_dialogs().back(), "prompt-terms");
    s.app->consent()->CloseAll();

    PermissionPrompt view = Permission(proto::PERMISSION_VIEW_SCREEN);
    view.view_description = "your whole screen";
    view.reason = "I'd like to look at the printer settings with you.";
    s.fake->consent->AskPermission(view, [](bool) {});
    shot.Window(s.app->consent()->open_dialogs().back(), "prompt-view-screen");
    s.app->consent()->CloseAll();

    s.fake->consent->AskPermission(Permission(proto::PERMISSION_REMOTE_CONTROL),
                                   [](bool) {});
    shot.Window(s.app->consent()->open_dialogs().back(),
                "prompt-remote-control");
    s.app->consent()->CloseAll();

    PermissionPrompt file = Permission(proto::PERMISSION_SEND_FILE);
    file.file_name = "printer-driver-setup.pdf";
    file.file_size = 2'456'789;
    file.file_destination = "/home/sam/Downloads";
    file.reason = "The installation guide for the new printer.";
    s.fake->consent->AskPermission(file, [](bool) {});
    shot.Window(s.app->consent()->open_dialogs().back(), "prompt-file");
    s.app->consent()->CloseAll();
    // A name made to hide what it is: cut in the middle, the real
    // extension shows.
    file.file_name =
        "Invoice 2026-11 " + std::string(150, '_') + ".pdf.desktop";
    s.fake->consent->AskPermission(file, [](bool) {});
    shot.Window(s.app->consent()->open_dialogs().back(),
                "prompt-file-long-name");
    s.app->consent()->CloseAll();

    s.fake->consent->AskPermission(Permission(proto::PERMISSION_CLIPBOARD),
                                   [](bool) {});
    shot.Window(s.app->consent()->open_dialogs().back(), "prompt-clipboard");
    s.app->consent()->CloseAll();

    s.fake->consent->AskPermission(Permission(proto::PERMISSION_VIEW_SWITCH),
                                   [](bool) {});
    shot.Window(s.app->consent()->open_dialogs().back(),
                "prompt-view-technician");
    s.app->consent()->CloseAll();

    // The fake session holds no hotkey; the real one names it here when
    // it holds Ctrl+Alt+Shift+S.
    s.app->panel()->SetHotkeyAvailable(true);
    shot.Window(s.app->panel(), "panel-connected");
    Grants grants;
    grants.viewing = true;
    // On Wayland, between our "Allow viewing" and the desktop's own dialog.
    grants.desktop_asking = true;
    s.fake->observer->OnGrantsChanged(grants);
    shot.Window(s.app->panel(), "panel-desktop-asking");
    grants.desktop_asking = false;
    s.fake->observer->OnGrantsChanged(grants);
    s.fake->observer->OnChat("Hello Sam, I can see your screen now.", false);
    shot.Window(s.app->panel(), "panel-viewing");

    grants.control = true;
    grants.files = true;
    s.fake->observer->OnGrantsChanged(grants);
    s.fake->observer->OnChat("Thanks! The printer is the one on the left.",
                             true);
    s.fake->observer->OnChat("Got it, I'll open its settings.", false);
    s.fake->observer->OnFileReceived(
        "/home/sam/Downloads/printer-driver-setup.pdf", true, "");
    shot.Window(s.app->panel(), "panel-control-chat");

    Backdrop backdrop;
    backdrop.setGeometry(QGuiApplication::primaryScreen()->geometry());
    backdrop.show();
    backdrop.lower();
    s.app->panel()->raise();
    for (QWidget* strip : s.app->border()->strips())
      strip->raise();
    shot.Screen("desktop-control-border");
    backdrop.hide();

    // The technician shows their screen: control is off meanwhile.
    grants.control = false;
    grants.viewing_technician = true;
    s.fake->current_grants = grants;
    s.fake->observer->OnGrantsChanged(grants);
    s.fake->observer->OnTechnicianPicture(TechnicianDesktop());
    if (TechnicianScreenWindow* window = s.app->technician_screen_window()) {
      window->resize(960, 660);
      shot.Window(window, "viewing-technician");
    }
    grants.viewing_technician = false;
    s.fake->current_grants = grants;
    s.fake->observer->OnGrantsChanged(grants);

    s.fake->receipt_entries = {
        {std::chrono::system_clock::now() - std::chrono::minutes(12),
         "Connected to Alex Meyer (Example Corp IT) with code 4829 1375."},
        {std::chrono::system_clock::now() - std::chrono::minutes(12),
         "You confirmed the security code 482 913 and accepted the terms."},
        {std::chrono::system_clock::now() - std::chrono::minutes(11),
         "You allowed Alex Meyer to see your whole screen."},
        {std::chrono::system_clock::now() - std::chrono::minutes(9),
         "You allowed remote control."},
        {std::chrono::system_clock::now() - std::chrono::minutes(7),
         "File \u201Cprinter-driver-setup.pdf\u201D (2.3 MB) saved to "
         "/home/sam/Downloads."},
        {std::chrono::system_clock::now(), "You ended the session."},
    };
    s.End(proto::END_REASON_USER_ENDED, "Session ended by you", true);
    shot.Window(s.app->ended_window(), "ended-receipt");
  }
  {
    Scenario s;
    s.Pair();
    s.app->panel()->stop_button()->click();
    s.End(proto::END_REASON_EMERGENCY_STOP, "Session ended by you", true);
    shot.Window(s.app->ended_window(), "ended-stopped");
  }
  {
    Scenario s;
    s.Pair();
    s.End(proto::END_REASON_PEER_LOST, "The connection to the relay was lost.");
    shot.Window(s.app->ended_window(), "ended-connection-lost");
  }
  return shot.failures() == 0 ? 0 : 1;
}
