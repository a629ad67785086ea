#include "tools/screen_person.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>
#include <utility>

extern char** environ;

namespace tether::tools {
namespace {

using std::chrono::milliseconds;

// Runs a program (xdotool) on `display` and waits for it; false unless it
// exits 0.
bool Run(const std::string& display, std::vector<std::string> args) {
  std::vector<char*> argv;
  for (std::string& arg : args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::string display_variable = "DISPLAY=" + display;
  std::vector<char*> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "DISPLAY=", 8) != 0)
      env.push_back(*e);
  }
  env.push_back(display_variable.data());
  env.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), env.data()) !=
      0) {
    return false;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

template <typename T>
using XcbReply = std::unique_ptr<T, decltype(&std::free)>;

template <typename T>
XcbReply<T> Own(T* reply) {
  return XcbReply<T>(reply, &std::free);
}

}  // namespace

Result<ScreenPerson> ScreenPerson::Connect(const std::string& display) {
  int screen_number = 0;
  xcb_connection_t* connection = xcb_connect(display.c_str(), &screen_number);
  if (xcb_connection_has_error(connection) != 0) {
    xcb_disconnect(connection);
    return MakeError("cannot open display " + display);
  }
  xcb_screen_iterator_t it =
      xcb_setup_roots_iterator(xcb_get_setup(connection));
  for (int i = 0; i < screen_number; ++i)
    xcb_screen_next(&it);
  ScreenPerson person(connection, it.data->root, display);
  auto atom = [&](const char* name) -> xcb_atom_t {
    auto reply = Own(xcb_intern_atom_reply(
        connection,
        xcb_intern_atom(connection, 0, static_cast<uint16_t>(std::strlen(name)),
                        name),
        nullptr));
    return reply ? reply->atom : xcb_atom_t{XCB_ATOM_NONE};
  };
  person.net_wm_name_ = atom("_NET_WM_NAME");
  person.utf8_string_ = atom("UTF8_STRING");
  return person;
}

ScreenPerson::ScreenPerson(xcb_connection_t* connection,
                           xcb_window_t root,
                           std::string display)
    : connection_(connection), root_(root), display_(std::move(display)) {}

ScreenPerson::ScreenPerson(ScreenPerson&& other) noexcept
    : connection_(std::exchange(other.connection_, nullptr)),
      root_(other.root_),
      display_(std::move(other.display_)),
      net_wm_name_(other.net_wm_name_),
      utf8_string_(other.utf8_string_) {}

ScreenPerson::~ScreenPerson() {
  if (connection_ != nullptr)
    xcb_disconnect(connection_);
}

std::string ScreenPerson::Title(xcb_window_t window) {
  for (auto [property, type] :
       {std::pair{net_wm_name_, utf8_string_},
        std::pair{xcb_atom_t{XCB_ATOM_WM_NAME}, xcb_atom_t{XCB_ATOM_STRING}}}) {
    auto reply = Own(xcb_get_property_reply(
        connection_,
        xcb_get_property(connection_, 0, window, property, type, 0, 256),
        nullptr));
    if (reply && xcb_get_property_value_length(reply.get()) > 0) {
      return std::string(
          static_cast<const char*>(xcb_get_property_value(reply.get())),
          static_cast<size_t>(xcb_get_property_value_length(reply.get())));
    }
  }
  return {};
}

std::optional<xcb_window_t> ScreenPerson::FindWindow(const std::string& title) {
  // Top-level windows, or one level down under a window manager's frames.
  std::vector<xcb_window_t> pending{root_};
  for (int depth = 0; depth < 3 && !pending.empty(); ++depth) {
    std::vector<xcb_window_t> next;
    for (xcb_window_t parent : pending) {
      auto tree = Own(xcb_query_tree_reply(
          connection_, xcb_query_tree(connection_, parent), nullptr));
      if (!tree)
        continue;
      const xcb_window_t* children = xcb_query_tree_children(tree.get());
      const int count = xcb_query_tree_children_length(tree.get());
      for (int i = count - 1; i >= 0; --i) {  // topmost first
        auto attributes = Own(xcb_get_window_attributes_reply(
            connection_, xcb_get_window_attributes(connection_, children[i]),
            nullptr));
        if (!attributes || attributes->map_state != XCB_MAP_STATE_VIEWABLE)
          continue;
        if (Title(children[i]).find(title) != std::string::npos)
          return children[i];
        next.push_back(children[i]);
      }
    }
    pending = std::move(next);
  }
  return std::nullopt;
}

bool ScreenPerson::WindowShown(const std::string& title) {
  return FindWindow(title).has_value();
}

Result<WindowView> ScreenPerson::Capture(const ScreenRect& rect,
                                         xcb_window_t id) {
  auto image = Own(xcb_get_image_reply(
      connection_,
      xcb_get_image(connection_, XCB_IMAGE_FORMAT_Z_PIXMAP, root_,
                    static_cast<int16_t>(rect.x), static_cast<int16_t>(rect.y),
                    static_cast<uint16_t>(rect.width),
                    static_cast<uint16_t>(rect.height), ~0u),
      nullptr));
  if (!image)
    return MakeError("cannot read the screen");
  const size_t count = static_cast<size_t>(rect.width) * rect.height;
  if (static_cast<size_t>(xcb_get_image_data_length(image.get())) < count * 4) {
    return MakeError("the screen is not 32 bits per pixel");
  }
  WindowView view;
  view.id = id;
  view.rect = rect;
  view.picture.width = rect.width;
  view.picture.height = rect.height;
  std::vector<uint32_t>& pixels = view.picture.pixels;
  pixels.resize(count);
  std::memcpy(pixels.data(), xcb_get_image_data(image.get()), count * 4);
  for (uint32_t& pixel : pixels)
    pixel &= 0xFFFFFF;
  return view;
}

Result<WindowView> ScreenPerson::Look(xcb_window_t window) {
  auto geometry = Own(xcb_get_geometry_reply(
      connection_, xcb_get_geometry(connection_, window), nullptr));
  auto origin = Own(xcb_translate_coordinates_reply(
      connection_, xcb_translate_coordinates(connection_, window, root_, 0, 0),
      nullptr));
  if (!geometry || !origin)
    return MakeError("the window went away");
  return Capture(
      {origin->dst_x, origin->dst_y, geometry->width, geometry->height},
      window);
}

Result<WindowView> ScreenPerson::LookAtScreen() {
  auto geometry = Own(xcb_get_geometry_reply(
      connection_, xcb_get_geometry(connection_, root_), nullptr));
  if (!geometry)
    return MakeError("cannot read the screen size");
  return Capture({0, 0, geometry->width, geometry->height}, root_);
}

Result<WindowView> ScreenPerson::WaitForWindow(const std::string& title,
                                               milliseconds timeout) {
  // Nobody reads a button under their own pointer: hover changes colours.
  (void)MoveTo(0, 0);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto window = FindWindow(title)) {
      auto view = Look(*window);
      if (view && view->rect.width > 0 && view->rect.height > 0 &&
          std::any_of(
              view->picture.pixels.begin(), view->picture.pixels.end(),
              [&](uint32_t p) { return p != view->picture.pixels[0]; })) {
        // Give the window a moment to finish laying out, then look again.
        std::this_thread::sleep_for(milliseconds(300));
        return Look(*window);
      }
    }
    std::this_thread::sleep_for(milliseconds(100));
  }
  return MakeError("no window \"" + title + "\" appeared within " +
                   std::to_string(timeout.count()) + " ms");
}

Result<void> ScreenPerson::ClickAt(int x, int y) {
  if (auto moved = MoveTo(x, y); !moved)
    return moved;
  if (!Run(display_, {"xdotool", "click", "1"}))
    return MakeError("xdotool could not click");
  return {};
}

Result<void> ScreenPerson::ClickBlueButton(const WindowView& view) {
  auto button = FindSafeButton(view.picture);
  if (!button)
    return MakeError("no blue button in the window");
  return ClickAt(view.rect.x + button->center_x(),
                 view.rect.y + button->center_y());
}

Result<void> ScreenPerson::ClickAllowButton(const WindowView& first_look) {
  auto allow = FindAllowButton(first_look.picture);
  if (!allow)
    return MakeError("no blue button in the prompt, or nothing left of it");
  // The allow button arms itself after a moment (grey text until then):
  // wait until it can be pressed, as a person does.
  const auto deadline = std::chrono::steady_clock::now() + milliseconds(5000);
  WindowView view = first_look;
  while (!allow->pressable) {
    if (std::chrono::steady_clock::now() > deadline)
      return MakeError("the allow button never became pressable");
    std::this_thread::sleep_for(milliseconds(100));
    TETHER_TRY(again, Look(view.id));
    view = std::move(*again);
    allow = FindAllowButton(view.picture);
    if (!allow)
      return MakeError("the prompt's buttons went away");
  }
  return ClickAt(view.rect.x + allow->x, view.rect.y + allow->y);
}

Result<void> ScreenPerson::ClickRedButton(const WindowView& view) {
  auto button = FindStopButton(view.picture);
  if (!button)
    return MakeError("no red button in the window");
  return ClickAt(view.rect.x + button->center_x(),
                 view.rect.y + button->center_y());
}

Result<void> ScreenPerson::ClickWhiteField(const WindowView& view) {
  auto field = FindCodeField(view.picture);
  if (!field)
    return MakeError("no text field in the window");
  return ClickAt(view.rect.x + field->center_x(),
                 view.rect.y + field->center_y());
}

Result<void> ScreenPerson::Key(const std::string& combo) {
  if (!Run(display_, {"xdotool", "key", "--clearmodifiers", combo}))
    return MakeError("xdotool could not press " + combo);
  return {};
}

Result<void> ScreenPerson::MoveTo(int x, int y) {
  // `mousemove --sync` waits for the pointer to move, which never happens
  // when it is already there (xdotool then sits out its own long timeout).
  if (Pointer() == std::pair{x, y})
    return {};
  if (!Run(display_, {"xdotool", "mousemove", "--sync", std::to_string(x),
                      std::to_string(y)})) {
    return MakeError("xdotool could not move the mouse");
  }
  return {};
}

Result<void> ScreenPerson::Type(const std::string& text) {
  if (!Run(display_, {"xdotool", "type", "--delay", "60", "--", text}))
    return MakeError("xdotool could not type");
  return {};
}

std::pair<int, int> ScreenPerson::Pointer() {
  auto reply = Own(xcb_query_pointer_reply(
      connection_, xcb_query_pointer(connection_, root_), nullptr));
  if (!reply)
    return {-1, -1};
  return {reply->root_x, reply->root_y};
}

}  // namespace tether::tools
