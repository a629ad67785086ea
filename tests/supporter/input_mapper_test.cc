#include "supporter-app/core/input_mapper.h"

#include <gtest/gtest.h>

#include <X11/XF86keysym.h>
#include <X11/keysym.h>

#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace tether::supporter {
namespace {

using desktop::DesktopPoint;
using desktop::DesktopRect;
using Events = std::vector<proto::InputEvent>;

// "+k:0x61", "-b:1", "w:0,-1", "m:10,20", "t:€": one token per event.
std::string Describe(const Events& events) {
  std::string out;
  char buf[64];
  for (const auto& e : events) {
    if (!out.empty())
      out += ' ';
    switch (e.event_case()) {
      case proto::InputEvent::kKey:
        std::snprintf(buf, sizeof(buf), "%ck:0x%x",
                      e.key().pressed() ? '+' : '-', e.key().keysym());
        out += buf;
        break;
      case proto::InputEvent::kMouseButton:
        std::snprintf(buf, sizeof(buf), "%cb:%u",
                      e.mouse_button().pressed() ? '+' : '-',
                      e.mouse_button().button());
        out += buf;
        break;
      case proto::InputEvent::kMouseWheel:
        std::snprintf(buf, sizeof(buf), "w:%d,%d", e.mouse_wheel().delta_x(),
                      e.mouse_wheel().delta_y());
        out += buf;
        break;
      case proto::InputEvent::kMouseMove:
        std::snprintf(buf, sizeof(buf), "m:%d,%d", e.mouse_move().x(),
                      e.mouse_move().y());
        out += buf;
        break;
      case proto::InputEvent::kText:
        out += "t:" + e.text().text();
        break;
      default:
        out += "?";
    }
  }
  return out;
}

std::string K(char sign, uint32_t keysym) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%ck:0x%x", sign, keysym);
  return buf;
}

// Every press has exactly one release, and nothing is released that was not
// pressed, over a whole event sequence.
void ExpectBalanced(const Events& events) {
  std::map<std::pair<int, uint32_t>, int> down;  // (kind, code) -> presses
  for (const auto& e : events) {
    if (e.has_key()) {
      int& n = down[{0, e.key().keysym()}];
      if (e.key().pressed()) {
        ++n;
      } else {
        EXPECT_GT(n, 0) << "released keysym 0x" << std::hex << e.key().keysym()
                        << " that is not down";
        n = 0;  // one release ends any number of (repeated) presses
      }
    } else if (e.has_mouse_button()) {
      int& n = down[{1, e.mouse_button().button()}];
      if (e.mouse_button().pressed()) {
        EXPECT_EQ(n, 0) << "button pressed twice";
        ++n;
      } else {
        EXPECT_EQ(n, 1) << "button released without a press";
        n = 0;
      }
    }
  }
  for (const auto& [what, n] : down)
    EXPECT_EQ(n, 0) << "still down: kind " << what.first << " code 0x"
                    << std::hex << what.second;
}

void Append(Events& all, const Events& more) {
  all.insert(all.end(), more.begin(), more.end());
}

// ---- Coordinates ------------------------------------------------------------

TEST(MapToRemoteTest, FitToWindowScalesAndLetterboxBarsMapToNothing) {
  // 1920x1080 in an 800x600 widget: scale 800/1920, picture 800x450,
  // bars of 75 logical pixels above and below.
  const ViewGeometry view = FitToWindow({0, 0, 1920, 1080}, 800, 600);
  EXPECT_DOUBLE_EQ(view.draw_x, 0);
  EXPECT_DOUBLE_EQ(view.draw_y, 75);
  EXPECT_DOUBLE_EQ(view.draw_width, 800);
  EXPECT_DOUBLE_EQ(view.draw_height, 450);

  EXPECT_EQ(MapToRemote(view, 0, 75), (DesktopPoint{0, 0}));
  EXPECT_EQ(MapToRemote(view, 400, 300), (DesktopPoint{960, 540}));
  EXPECT_EQ(MapToRemote(view, 799.99, 524.99), (DesktopPoint{1919, 1079}));
  EXPECT_EQ(MapToRemote(view, 400, 10), std::nullopt);  // top bar
  EXPECT_EQ(MapToRemote(view, 400, 74.9), std::nullopt);
  EXPECT_EQ(MapToRemote(view, 400, 525), std::nullopt);  // bottom bar
  EXPECT_EQ(MapToRemote(view, -1, 300), std::nullopt);
  EXPECT_EQ(MapToRemote(view, 800, 300), std::nullopt);
}

TEST(MapToRemoteTest, PillarboxBarsLeftAndRight) {
  const ViewGeometry view = FitToWindow({0, 0, 1000, 1000}, 1600, 800);
  EXPECT_DOUBLE_EQ(view.draw_x, 400);
  EXPECT_DOUBLE_EQ(view.draw_width, 800);
  EXPECT_EQ(MapToRemote(view, 399, 400), std::nullopt);
  EXPECT_EQ(MapToRemote(view, 1201, 400), std::nullopt);
  EXPECT_EQ(MapToRemote(view, 800, 400), (DesktopPoint{500, 500}));
}

TEST(MapToRemoteTest, MonitorOffsetIsAddedAndResultStaysOnTheMonitor) {
  // The second monitor of a 3840x1080 desktop, at x 1920.
  const DesktopRect monitor{1920, 0, 1920, 1080};
  const ViewGeometry view = FitToWindow(monitor, 960, 540);
  EXPECT_EQ(MapToRemote(view, 0, 0), (DesktopPoint{1920, 0}));
  EXPECT_EQ(MapToRemote(view, 480, 270), (DesktopPoint{2880, 540}));
  const auto last = MapToRemote(view, 959.9999, 539.9999);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(*last, (DesktopPoint{3839, 1079}));
  // A monitor above and left of the origin.
  const ViewGeometry negative =
      FitToWindow({-1280, -1024, 1280, 1024}, 1280, 1024);
  EXPECT_EQ(MapToRemote(negative, 0, 0), (DesktopPoint{-1280, -1024}));
  EXPECT_EQ(MapToRemote(negative, 1279.5, 1023.5), (DesktopPoint{-1, -1}));
}

TEST(MapToRemoteTest, OneToOneWithScrollOffsets) {
  // 1920x1080 remote in a 1000x700 widget, scrolled to (500, 200).
  const ViewGeometry view =
      OneToOne({0, 0, 1920, 1080}, 1000, 700, 500, 200, 1);
  EXPECT_DOUBLE_EQ(view.draw_x, -500);
  EXPECT_DOUBLE_EQ(view.draw_y, -200);
  EXPECT_EQ(MapToRemote(view, 0, 0), (DesktopPoint{500, 200}));
  EXPECT_EQ(MapToRemote(view, 10.5, 20.7), (DesktopPoint{510, 220}));
  EXPECT_EQ(MapToRemote(view, 999, 699), (DesktopPoint{1499, 899}));
}

TEST(MapToRemoteTest, OneToOneCentresASmallPicture) {
  const ViewGeometry view = OneToOne({0, 0, 640, 480}, 1000, 700, 77, 88, 1);
  EXPECT_DOUBLE_EQ(view.draw_x, 180);
  EXPECT_DOUBLE_EQ(view.draw_y, 110);
  EXPECT_EQ(MapToRemote(view, 179, 300), std::nullopt);
  EXPECT_EQ(MapToRemote(view, 180, 110), (DesktopPoint{0, 0}));
}

TEST(MapToRemoteTest, OneToOneCentresOnAWholePixelAndNeedsNoScrollWhenItFits) {
  const ViewGeometry odd = OneToOne({0, 0, 641, 481}, 1000, 700, 9, 9, 1);
  EXPECT_DOUBLE_EQ(odd.draw_x, 179);  // not 179.5: sharp
  EXPECT_DOUBLE_EQ(odd.draw_y, 109);
  const ViewGeometry exact = OneToOne({0, 0, 1000, 700}, 1000, 700, 5, 5, 1);
  EXPECT_DOUBLE_EQ(exact.draw_x, 0);  // the scroll bars are hidden
  EXPECT_DOUBLE_EQ(exact.draw_y, 0);
}

TEST(MapToRemoteTest, HiDpiOneToOneIsOneRemotePixelPerDevicePixel) {
  // Device pixel ratio 2: the 1920x1080 picture is 960x540 logical pixels;
  // a logical position (Qt's unit) of 100.5 is device pixel 201.
  const ViewGeometry view = OneToOne({0, 0, 1920, 1080}, 800, 400, 0, 0, 2);
  EXPECT_DOUBLE_EQ(view.draw_width, 960);
  EXPECT_DOUBLE_EQ(view.draw_height, 540);
  EXPECT_EQ(MapToRemote(view, 100.5, 50.25), (DesktopPoint{201, 100}));
  EXPECT_EQ(MapToRemote(view, 100, 50), (DesktopPoint{200, 100}));
  // Scrolled to the end: scroll values are logical pixels too.
  const ViewGeometry end = OneToOne({0, 0, 1920, 1080}, 800, 400, 160, 140, 2);
  EXPECT_EQ(MapToRemote(end, 799.9, 399.9), (DesktopPoint{1919, 1079}));
  // A fractional ratio (1.5) and fit-to-window: the ratio does not matter,
  // both sides are logical.
  const ViewGeometry odd = OneToOne({0, 0, 300, 300}, 100, 100, 0, 0, 1.5);
  EXPECT_EQ(MapToRemote(odd, 1, 1), (DesktopPoint{1, 1}));
  EXPECT_EQ(MapToRemote(odd, 2, 2), (DesktopPoint{3, 3}));
}

TEST(MapToRemoteTest, BadGeometryOrPointsGiveNothing) {
  EXPECT_EQ(MapToRemote(ViewGeometry{}, 0, 0), std::nullopt);
  EXPECT_EQ(MapToRemote(FitToWindow({0, 0, 0, 100}, 800, 600), 1, 1),
            std::nullopt);
  EXPECT_EQ(MapToRemote(FitToWindow({0, 0, 100, 100}, 0, 600), 0, 0),
            std::nullopt);
  const ViewGeometry view = FitToWindow({0, 0, 100, 100}, 100, 100);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(MapToRemote(view, nan, 5), std::nullopt);
  EXPECT_EQ(MapToRemote(view, 5, inf), std::nullopt);
  EXPECT_EQ(MapToRemoteClamped(view, nan, 5), std::nullopt);
  ViewGeometry broken = view;
  broken.draw_width = nan;
  EXPECT_EQ(MapToRemote(broken, 5, 5), std::nullopt);
  EXPECT_EQ(OneToOne({0, 0, 100, 100}, 50, 50, 0, 0, 0).draw_width, 100);
  EXPECT_EQ(OneToOne({0, 0, 100, 100}, 50, 50, 0, 0, nan).draw_width, 100);
}

TEST(MapToRemoteTest, ClampedMappingKeepsDragsOnTheEdge) {
  const ViewGeometry view = FitToWindow({100, 50, 200, 100}, 400, 400);
  // Picture 400x200 at y 100.
  EXPECT_EQ(MapToRemoteClamped(view, -50, 0), (DesktopPoint{100, 50}));
  EXPECT_EQ(MapToRemoteClamped(view, 1e9, 1e9), (DesktopPoint{299, 149}));
  EXPECT_EQ(MapToRemoteClamped(view, 200, 200), (DesktopPoint{200, 100}));
}

// ---- Keys -------------------------------------------------------------------

constexpr Qt::KeyboardModifiers kNone = Qt::NoModifier;
constexpr Qt::KeyboardModifiers kShift = Qt::ShiftModifier;
constexpr Qt::KeyboardModifiers kKeypad = Qt::KeypadModifier;

TEST(KeysymTest, LettersFollowShiftDigitsAndPunctuationAreTheirCharacter) {
  EXPECT_EQ(KeysymForQtKey(Qt::Key_A, kNone), uint32_t{XK_a});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_A, kShift), uint32_t{XK_A});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Z, Qt::ControlModifier), uint32_t{XK_z});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_1, kNone), uint32_t{XK_1});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Exclam, kShift), uint32_t{XK_exclam});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Space, kNone), uint32_t{XK_space});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_At, Qt::GroupSwitchModifier),
            uint32_t{XK_at});
  // Latin-1 letters: ö unshifted, Ö shifted; ß has no upper case here.
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Odiaeresis, kNone), uint32_t{XK_odiaeresis});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Odiaeresis, kShift),
            uint32_t{XK_Odiaeresis});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_ssharp, kNone), uint32_t{XK_ssharp});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_multiply, kNone), uint32_t{XK_multiply});
  // Beyond Latin-1: no keysym here, the text goes instead.
  EXPECT_EQ(KeysymForQtKey(0x20ac, kNone), 0u);  // €
  EXPECT_EQ(KeysymForQtKey(0x42f, kNone), 0u);   // Я
  EXPECT_EQ(KeysymForQtKey(Qt::Key_unknown, kNone), 0u);
  EXPECT_EQ(KeysymForQtKey(0, kNone), 0u);
  EXPECT_EQ(KeysymForQtKey(-5, kNone), 0u);
}

TEST(KeysymTest, FunctionAndNavigationKeys) {
  EXPECT_EQ(KeysymForQtKey(Qt::Key_F1, kNone), uint32_t{XK_F1});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_F12, kNone), uint32_t{XK_F12});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_F35, kNone), uint32_t{XK_F35});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Left, kNone), uint32_t{XK_Left});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Up, kNone), uint32_t{XK_Up});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Right, kNone), uint32_t{XK_Right});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Down, kNone), uint32_t{XK_Down});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Home, kNone), uint32_t{XK_Home});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_End, kNone), uint32_t{XK_End});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_PageUp, kNone), uint32_t{XK_Page_Up});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_PageDown, kNone), uint32_t{XK_Page_Down});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Insert, kNone), uint32_t{XK_Insert});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Delete, kNone), uint32_t{XK_Delete});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Backspace, kNone), uint32_t{XK_BackSpace});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Tab, kNone), uint32_t{XK_Tab});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Backtab, kShift), uint32_t{XK_ISO_Left_Tab});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Return, kNone), uint32_t{XK_Return});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Enter, kNone), uint32_t{XK_KP_Enter});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Escape, kNone), uint32_t{XK_Escape});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Print, kNone), uint32_t{XK_Print});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Menu, kNone), uint32_t{XK_Menu});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Pause, kNone), uint32_t{XK_Pause});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_CapsLock, kNone), uint32_t{XK_Caps_Lock});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_NumLock, kNone), uint32_t{XK_Num_Lock});
  // Dead keys are composed locally; nothing is forwarded for them.
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Dead_Circumflex, kNone), 0u);
}

TEST(KeysymTest, Modifiers) {
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Shift, kShift), uint32_t{XK_Shift_L});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Control, kNone), uint32_t{XK_Control_L});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Alt, kNone), uint32_t{XK_Alt_L});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Meta, kNone), uint32_t{XK_Super_L});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Super_L, kNone), uint32_t{XK_Super_L});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Super_R, kNone), uint32_t{XK_Super_R});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_AltGr, kNone),
            uint32_t{XK_ISO_Level3_Shift});
}

TEST(KeysymTest, KeypadKeysWithAndWithoutNumLock) {
  EXPECT_EQ(KeysymForQtKey(Qt::Key_7, kKeypad), uint32_t{XK_KP_7});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_0, kKeypad), uint32_t{XK_KP_0});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Plus, kKeypad), uint32_t{XK_KP_Add});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Minus, kKeypad), uint32_t{XK_KP_Subtract});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Asterisk, kKeypad),
            uint32_t{XK_KP_Multiply});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Slash, kKeypad), uint32_t{XK_KP_Divide});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Period, kKeypad), uint32_t{XK_KP_Decimal});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Comma, kKeypad), uint32_t{XK_KP_Separator});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Enter, kKeypad), uint32_t{XK_KP_Enter});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Home, kKeypad), uint32_t{XK_KP_Home});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_PageDown, kKeypad),
            uint32_t{XK_KP_Page_Down});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Delete, kKeypad), uint32_t{XK_KP_Delete});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Clear, kKeypad), uint32_t{XK_KP_Begin});
  // The same keys off the keypad are the ordinary keysyms.
  EXPECT_EQ(KeysymForQtKey(Qt::Key_7, kNone), uint32_t{XK_7});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Home, kNone), uint32_t{XK_Home});
}

TEST(KeysymTest, MediaKeysButNoPowerKeys) {
  EXPECT_EQ(KeysymForQtKey(Qt::Key_VolumeUp, kNone),
            uint32_t{XF86XK_AudioRaiseVolume});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_VolumeMute, kNone),
            uint32_t{XF86XK_AudioMute});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_MediaTogglePlayPause, kNone),
            uint32_t{XF86XK_AudioPlay});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_MediaNext, kNone),
            uint32_t{XF86XK_AudioNext});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Back, kNone), uint32_t{XF86XK_Back});
  EXPECT_EQ(KeysymForQtKey(Qt::Key_PowerOff, kNone), 0u);
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Sleep, kNone), 0u);
  EXPECT_EQ(KeysymForQtKey(Qt::Key_Suspend, kNone), 0u);
}

// The path the console's view takes (MappedInputSink::MouseMove). Before,
// it mapped with MapToRemote alone, so a drag that left the picture
// stopped dead at the last point inside it.
TEST(InputMapperTest, ADragThatLeavesThePictureGoesOnAlongItsEdge) {
  // 1920x1080 in 800x600: bars of 75 above and below the picture.
  const ViewGeometry view = FitToWindow({0, 0, 1920, 1080}, 800, 600);
  InputMapper mapper;
  EXPECT_EQ(Describe(mapper.MoveInView(view, 400, 300)), "m:960,540");
  EXPECT_EQ(Describe(mapper.MoveInView(view, 400, 10)), "")
      << "no button: the bar moves nothing";
  EXPECT_EQ(Describe(mapper.Button(Qt::LeftButton, true)), "+b:1");
  EXPECT_EQ(Describe(mapper.MoveInView(view, 400, 10)), "m:960,0");
  EXPECT_EQ(Describe(mapper.MoveInView(view, -50, 700)), "m:0,1079");
  EXPECT_EQ(Describe(mapper.MoveInView(view, 900, 300)), "m:1919,540");
  EXPECT_EQ(Describe(mapper.Button(Qt::LeftButton, false)), "-b:1");
  EXPECT_EQ(Describe(mapper.MoveInView(view, 400, 10)), "");
}

TEST(InputMapperTest, ShiftedLetterIsPressedAndReleasedUnderItsKeysym) {
  InputMapper mapper;
  Events all;
  Append(all, mapper.Key(Qt::Key_Shift, kShift, "", true, false, 50));
  Append(all, mapper.Key(Qt::Key_A, kShift, "A", true, false, 38));
  Append(all, mapper.Key(Qt::Key_A, kShift, "A", false, false, 38));
  Append(all, mapper.Key(Qt::Key_Shift, kNone, "", false, false, 50));
  EXPECT_EQ(Describe(all), K('+', XK_Shift_L) + " " + K('+', XK_A) + " " +
                               K('-', XK_A) + " " + K('-', XK_Shift_L));
  ExpectBalanced(all);
}

TEST(InputMapperTest, ReleaseAfterShiftChangedReleasesWhatWasPressed) {
  // Press "1", press Shift, release the key (Qt now says Key_Exclam):
  // the customer must see the release of "1", or it stays down.
  for (uint32_t scan : {10u, 0u}) {
    InputMapper mapper;
    Events all;
    Append(all, mapper.Key(Qt::Key_1, kNone, "1", true, false, scan));
    Append(all,
           mapper.Key(Qt::Key_Shift, kShift, "", true, false, scan ? 50 : 0));
    Append(all, mapper.Key(scan ? Qt::Key_Exclam : Qt::Key_1, kShift, "!",
                           false, false, scan));
    Append(all,
           mapper.Key(Qt::Key_Shift, kNone, "", false, false, scan ? 50 : 0));
    EXPECT_EQ(Describe(all), K('+', XK_1) + " " + K('+', XK_Shift_L) + " " +
                                 K('-', XK_1) + " " + K('-', XK_Shift_L))
        << "scan code " << scan;
    ExpectBalanced(all);
    EXPECT_TRUE(mapper.ReleaseAll().empty());
  }
  // Letters: a pressed, Shift pressed, A released.
  InputMapper mapper;
  Events all;
  Append(all, mapper.Key(Qt::Key_A, kNone, "a", true, false));
  Append(all, mapper.Key(Qt::Key_Shift, kShift, "", true, false));
  Append(all, mapper.Key(Qt::Key_A, kShift, "A", false, false));
  Append(all, mapper.Key(Qt::Key_Shift, kNone, "", false, false));
  EXPECT_EQ(Describe(all), K('+', XK_a) + " " + K('+', XK_Shift_L) + " " +
                               K('-', XK_a) + " " + K('-', XK_Shift_L));
}

TEST(InputMapperTest, AutoRepeatIsRepeatedPressesWithoutReleases) {
  InputMapper mapper;
  Events all;
  Append(all, mapper.Key(Qt::Key_Right, kNone, "", true, false, 114));
  for (int i = 0; i < 3; ++i) {
    // Qt's repeat pairs: a release then a press, both auto_repeat.
    Append(all, mapper.Key(Qt::Key_Right, kNone, "", false, true, 114));
    Append(all, mapper.Key(Qt::Key_Right, kNone, "", true, true, 114));
  }
  Append(all, mapper.Key(Qt::Key_Right, kNone, "", false, false, 114));
  const std::string press = K('+', XK_Right);
  EXPECT_EQ(Describe(all), press + " " + press + " " + press + " " + press +
                               " " + K('-', XK_Right));
  ExpectBalanced(all);
}

TEST(InputMapperTest, CharactersWithoutKeysymGoAsText) {
  InputMapper mapper;
  EXPECT_EQ(
      Describe(mapper.Key(0x20ac, Qt::GroupSwitchModifier, "€", true, false)),
      "t:€");
  EXPECT_TRUE(
      mapper.Key(0x20ac, Qt::GroupSwitchModifier, "€", false, false).empty());
  EXPECT_EQ(Describe(mapper.Key(Qt::Key_unknown, kNone, "я", true, false)),
            "t:я");
  // Auto-repeat types it again.
  EXPECT_EQ(Describe(mapper.Key(Qt::Key_unknown, kNone, "я", true, true)),
            "t:я");
  // Not printable, or not UTF-8: nothing.
  EXPECT_TRUE(mapper.Key(Qt::Key_unknown, kNone, "\x01", true, false).empty());
  EXPECT_TRUE(mapper.Key(Qt::Key_unknown, kNone, "\xff", true, false).empty());
  EXPECT_TRUE(mapper.Key(Qt::Key_unknown, kNone, "", true, false).empty());
  EXPECT_TRUE(mapper.ReleaseAll().empty());
}

TEST(InputMapperTest, ControlLetterIgnoresTheControlCharacterText) {
  InputMapper mapper;
  Events all;
  Append(all,
         mapper.Key(Qt::Key_Control, Qt::ControlModifier, "", true, false));
  Append(all, mapper.Key(Qt::Key_C, Qt::ControlModifier, "\x03", true, false));
  Append(all, mapper.Key(Qt::Key_C, Qt::ControlModifier, "\x03", false, false));
  Append(all, mapper.Key(Qt::Key_Control, kNone, "", false, false));
  EXPECT_EQ(Describe(all), K('+', XK_Control_L) + " " + K('+', XK_c) + " " +
                               K('-', XK_c) + " " + K('-', XK_Control_L));
}

TEST(InputMapperTest, AltGrIsForwardedAndTheCharacterKeepsItsKeysym) {
  // German layout, AltGr+Q = @.
  InputMapper mapper;
  Events all;
  Append(all, mapper.Key(Qt::Key_AltGr, Qt::GroupSwitchModifier, "", true,
                         false, 108));
  Append(all,
         mapper.Key(Qt::Key_At, Qt::GroupSwitchModifier, "@", true, false, 24));
  Append(all, mapper.Key(Qt::Key_At, Qt::GroupSwitchModifier, "@", false, false,
                         24));
  Append(all, mapper.Key(Qt::Key_AltGr, kNone, "", false, false, 108));
  EXPECT_EQ(Describe(all), K('+', XK_ISO_Level3_Shift) + " " + K('+', XK_at) +
                               " " + K('-', XK_at) + " " +
                               K('-', XK_ISO_Level3_Shift));
  ExpectBalanced(all);
}

TEST(InputMapperTest, KeypadDigitsAreKeypadKeysyms) {
  InputMapper mapper;
  Events all;
  Append(all, mapper.Key(Qt::Key_5, kKeypad, "5", true, false, 84));
  Append(all, mapper.Key(Qt::Key_5, kKeypad, "5", false, false, 84));
  Append(all, mapper.Key(Qt::Key_Enter, kKeypad, "\r", true, false, 104));
  Append(all, mapper.Key(Qt::Key_Enter, kKeypad, "\r", false, false, 104));
  EXPECT_EQ(Describe(all), K('+', XK_KP_5) + " " + K('-', XK_KP_5) + " " +
                               K('+', XK_KP_Enter) + " " + K('-', XK_KP_Enter));
}

TEST(InputMapperTest, BothShiftKeysReleaseShiftWithTheLastOne) {
  InputMapper mapper;
  Events all;
  Append(all, mapper.Key(Qt::Key_Shift, kShift, "", true, false, 50));
  Append(all, mapper.Key(Qt::Key_Shift, kShift, "", true, false, 62));
  const Events first_up =
      mapper.Key(Qt::Key_Shift, kShift, "", false, false, 50);
  EXPECT_TRUE(first_up.empty()) << Describe(first_up);
  Append(all, first_up);
  Append(all, mapper.Key(Qt::Key_Shift, kNone, "", false, false, 62));
  EXPECT_EQ(Describe(all), K('+', XK_Shift_L) + " " + K('+', XK_Shift_L) + " " +
                               K('-', XK_Shift_L));
  ExpectBalanced(all);
}

TEST(InputMapperTest, ReleaseWithoutPressSendsNothing) {
  InputMapper mapper;
  EXPECT_TRUE(mapper.Key(Qt::Key_A, kNone, "a", false, false, 38).empty());
  EXPECT_TRUE(mapper.Button(Qt::LeftButton, false).empty());
  EXPECT_TRUE(mapper.Key(Qt::Key_Dead_Acute, kNone, "", true, false).empty());
  EXPECT_TRUE(mapper.Key(Qt::Key_Dead_Acute, kNone, "", false, false).empty());
}

TEST(InputMapperTest, ReleaseAllReleasesEveryHeldKeyAndButtonOnce) {
  InputMapper mapper;
  Events all;
  Append(all,
         mapper.Key(Qt::Key_Control, Qt::ControlModifier, "", true, false, 37));
  Append(all, mapper.Key(Qt::Key_Shift, kShift | Qt::ControlModifier, "", true,
                         false, 50));
  Append(all, mapper.Key(Qt::Key_Shift, kShift | Qt::ControlModifier, "", true,
                         false, 62));
  Append(all, mapper.Key(Qt::Key_T, kShift | Qt::ControlModifier, "\x14", true,
                         false, 28));
  Append(all, mapper.Button(Qt::LeftButton, true));
  Append(all, mapper.Button(Qt::RightButton, true));
  // Focus lost: no releases come from Qt.
  const Events released = mapper.ReleaseAll();
  EXPECT_EQ(Describe(released), "-b:3 -b:1 " + K('-', XK_T) + " " +
                                    K('-', XK_Shift_L) + " " +
                                    K('-', XK_Control_L));
  Append(all, released);
  ExpectBalanced(all);
  EXPECT_TRUE(mapper.ReleaseAll().empty());
  // The late releases Qt may still deliver send nothing more.
  EXPECT_TRUE(mapper.Key(Qt::Key_T, kShift, "T", false, false, 28).empty());
  EXPECT_TRUE(mapper.Button(Qt::LeftButton, false).empty());
}

TEST(InputMapperTest, NoStuckKeysOverARandomSequence) {
  // Presses, releases (some under other modifiers), repeats, buttons and
  // ReleaseAll at the end: every press gets its release exactly once.
  InputMapper mapper;
  Events all;
  const int keys[] = {Qt::Key_A,    Qt::Key_1,  Qt::Key_Shift, Qt::Key_Control,
                      Qt::Key_Left, Qt::Key_F5, Qt::Key_Alt};
  const Qt::MouseButton buttons[] = {Qt::LeftButton, Qt::MiddleButton,
                                     Qt::BackButton};
  uint32_t state = 12345;
  const auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
  };
  for (int i = 0; i < 2000; ++i) {
    const uint32_t r = next();
    const int key = keys[r % 7];
    const auto mods = (r >> 8 & 1) ? kShift : kNone;
    switch ((r >> 4) % 3) {
      default:
      case 0:
        Append(all, mapper.Key(key, mods, "", true, (r >> 9 & 1) != 0,
                               static_cast<uint32_t>(key & 0xff) + 8));
        break;
      case 1:
        Append(all, mapper.Key(key, mods, "", false, false,
                               static_cast<uint32_t>(key & 0xff) + 8));
        break;
      case 2:
        Append(all, mapper.Button(buttons[r % 3], (r >> 10 & 1) != 0));
        break;
    }
  }
  Append(all, mapper.ReleaseAll());
  ExpectBalanced(all);
}

TEST(InputMapperTest, MouseButtonsHaveTheirX11Numbers) {
  InputMapper mapper;
  Events all;
  for (auto button : {Qt::LeftButton, Qt::MiddleButton, Qt::RightButton,
                      Qt::BackButton, Qt::ForwardButton}) {
    Append(all, mapper.Button(button, true));
    Append(all, mapper.Button(button, false));
  }
  EXPECT_EQ(Describe(all), "+b:1 -b:1 +b:2 -b:2 +b:3 -b:3 +b:8 -b:8 +b:9 -b:9");
  EXPECT_TRUE(mapper.Button(Qt::ExtraButton4, true).empty());
  // A second press of a held button sends nothing.
  EXPECT_EQ(Describe(mapper.Button(Qt::LeftButton, true)), "+b:1");
  EXPECT_TRUE(mapper.Button(Qt::LeftButton, true).empty());
}

TEST(InputMapperTest, DragIsAButtonHeldWhileMoving) {
  InputMapper mapper;
  Events all;
  Append(all, mapper.Move({10, 10}));
  Append(all, mapper.Button(Qt::LeftButton, true));
  Append(all, mapper.Move({20, 15}));
  Append(all, mapper.Move({20, 15}));  // no change, nothing sent
  Append(all, mapper.Move({30, 20}));
  Append(all, mapper.Button(Qt::LeftButton, false));
  EXPECT_EQ(Describe(all), "m:10,10 +b:1 m:20,15 m:30,20 -b:1");
}

TEST(InputMapperTest, WheelNotchesAndRemaindersAccumulate) {
  InputMapper mapper;
  // One notch away from the user = up = -1 in our events.
  EXPECT_EQ(Describe(mapper.Wheel(0, 120)), "w:0,-1");
  EXPECT_EQ(Describe(mapper.Wheel(0, -240)), "w:0,2");
  // A high-resolution wheel: 15 per step; 8 steps are one notch.
  Events small;
  for (int i = 0; i < 7; ++i)
    Append(small, mapper.Wheel(0, -15));
  EXPECT_TRUE(small.empty());
  EXPECT_EQ(Describe(mapper.Wheel(0, -15)), "w:0,1");
  // Remainders are kept per axis: 100 + 100 = 1 notch + 80.
  EXPECT_TRUE(mapper.Wheel(100, 0).empty());
  EXPECT_EQ(Describe(mapper.Wheel(100, 0)), "w:-1,0");
  EXPECT_EQ(Describe(mapper.Wheel(40, 0)), "w:-1,0");
  // Going back the other way uses the remainder up first.
  EXPECT_TRUE(mapper.Wheel(0, 60).empty());
  EXPECT_TRUE(mapper.Wheel(0, -60).empty());
  EXPECT_EQ(Describe(mapper.Wheel(-360, 360)), "w:3,-3");
  // ReleaseAll forgets half notches.
  EXPECT_TRUE(mapper.Wheel(0, 100).empty());
  (void)mapper.ReleaseAll();
  EXPECT_TRUE(mapper.Wheel(0, 100).empty());
  // Absurd deltas neither overflow nor crash.
  const Events huge = mapper.Wheel(std::numeric_limits<int>::max(),
                                   std::numeric_limits<int>::min());
  ASSERT_EQ(huge.size(), 1u);
  EXPECT_LT(huge[0].mouse_wheel().delta_x(), 0);
  EXPECT_GT(huge[0].mouse_wheel().delta_y(), 0);
}

TEST(InputMapperTest, CombosArePressedAndReleasedInOrder) {
  EXPECT_EQ(Describe(InputMapper::CtrlAltDelete()),
            K('+', XK_Control_L) + " " + K('+', XK_Alt_L) + " " +
                K('+', XK_Delete) + " " + K('-', XK_Delete) + " " +
                K('-', XK_Alt_L) + " " + K('-', XK_Control_L));
  EXPECT_EQ(Describe(InputMapper::AltTab()),
            K('+', XK_Alt_L) + " " + K('+', XK_Tab) + " " + K('-', XK_Tab) +
                " " + K('-', XK_Alt_L));
  EXPECT_EQ(Describe(InputMapper::SuperKey()),
            K('+', XK_Super_L) + " " + K('-', XK_Super_L));
  ExpectBalanced(InputMapper::CtrlAltDelete());
}

}  // namespace
}  // namespace tether::supporter
