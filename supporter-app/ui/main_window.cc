#include "supporter-app/ui/main_window.h"

#include <QAction>
#include <QCloseEvent>
#include <QStackedLayout>

#include "supporter-app/ui/home_view.h"
#include "supporter-app/ui/sign_in_view.h"

namespace tether::supporter::ui {

MainWindow::MainWindow(SignInView* sign_in, HomeView* home, QWidget* parent)
    : QWidget(parent), sign_in_(sign_in), home_(home) {
  setObjectName(QStringLiteral("TetherWindow"));
  setWindowTitle(QStringLiteral("Tether supporter"));
  stack_ = new QStackedLayout(this);
  stack_->addWidget(sign_in_);
  stack_->addWidget(home_);
  // Ctrl+Q quits like the window's close button (which asks first while a
  // session runs).
  auto* quit = new QAction(QStringLiteral("Quit"), this);
  quit->setShortcut(QKeySequence::Quit);
  quit->setShortcutContext(Qt::ApplicationShortcut);
  connect(quit, &QAction::triggered, this, &MainWindow::closeRequested);
  addAction(quit);
  setMinimumSize(640, 520);
  resize(760, 600);
  ShowSignIn();
}

void MainWindow::ShowSignIn() {
  stack_->setCurrentWidget(sign_in_);
  setWindowTitle(QStringLiteral("Tether supporter \u2014 sign in"));
}

void MainWindow::ShowHome() {
  stack_->setCurrentWidget(home_);
  setWindowTitle(QStringLiteral("Tether supporter"));
}

bool MainWindow::showing_home() const {
  return stack_->currentWidget() == home_;
}

void MainWindow::closeEvent(QCloseEvent* event) {
  event->ignore();
  emit closeRequested();
}

}  // namespace tether::supporter::ui
