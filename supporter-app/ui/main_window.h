#pragma once

// The console's main window: the sign-in form until the relay accepts the
// technician, then the home screen (New session, code, SAS, last end).

#include <QWidget>

class QStackedLayout;

namespace tether::supporter::ui {

class HomeView;
class SignInView;

class MainWindow : public QWidget {
  Q_OBJECT

 public:
  // Takes ownership of both views.
  MainWindow(SignInView* sign_in, HomeView* home, QWidget* parent = nullptr);

  void ShowSignIn();
  void ShowHome();
  bool showing_home() const;

 signals:
  // The technician closed the window: the app decides (end, quit).
  void closeRequested();

 protected:
  void closeEvent(QCloseEvent* event) override;

 private:
  QStackedLayout* stack_ = nullptr;
  SignInView* sign_in_;
  HomeView* home_;
};

}  // namespace tether::supporter::ui
