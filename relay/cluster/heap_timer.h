#pragma once

// A libuv timer on the heap, for objects that may be destroyed while the
// loop still runs: CloseHeapTimer hands it to uv_close, which frees it once
// libuv is done with it.

#include <uv.h>

namespace tether::relay {

inline uv_timer_t* NewHeapTimer(uv_loop_t* loop, void* data) {
  auto* timer = new uv_timer_t;
  uv_timer_init(loop, timer);
  timer->data = data;
  return timer;
}

// Stops and frees `timer` (if set) and clears the pointer.
inline void CloseHeapTimer(uv_timer_t*& timer) {
  if (timer == nullptr)
    return;
  uv_close(reinterpret_cast<uv_handle_t*>(timer), [](uv_handle_t* handle) {
    delete reinterpret_cast<uv_timer_t*>(handle);
  });
  timer = nullptr;
}

}  // namespace tether::relay
