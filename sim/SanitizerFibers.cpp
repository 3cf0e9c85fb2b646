// Sanitizer builds only (FPGALLM_SANITIZE): libsystemc 2.3.4 announces its QuickThreads stack
// switches to AddressSanitizer through weak __sanitizer_{start,finish}_switch_fiber references, but
// on the way back to the main coroutine it hands ASan null bounds, and the last switch back when a
// simulation ends is not announced at all. After sc_start returns, ASan then believes the main
// thread runs on a coroutine stack: the next throw skips unpoisoning ("ignoring requested
// __asan_handle_no_return") and a later one reports the stale poison as a stack-use-after-scope in
// the sigaltstack interceptor. This file interposes those calls and __asan_handle_no_return (the
// executable's definitions come before libasan's): each is forwarded, and when the code runs on the
// thread's own stack, that stack's real bounds are announced first.
#if defined(__SANITIZE_ADDRESS__)
#include <dlfcn.h>
#include <pthread.h>

#include <cstddef>

namespace {

using StartFn = void (*)(void**, const void*, size_t);
using FinishFn = void (*)(void*, const void**, size_t*);

StartFn real_start() {
  static const auto f = reinterpret_cast<StartFn>(dlsym(RTLD_NEXT, "__sanitizer_start_switch_fiber"));
  return f;
}
FinishFn real_finish() {
  static const auto f = reinterpret_cast<FinishFn>(dlsym(RTLD_NEXT, "__sanitizer_finish_switch_fiber"));
  return f;
}

struct ThreadStack {
  const char* bottom = nullptr;
  size_t size = 0;
};

ThreadStack own_stack() {
  ThreadStack s;
  pthread_attr_t a;
  if (pthread_getattr_np(pthread_self(), &a) != 0) return s;
  void* bottom = nullptr;
  if (pthread_attr_getstack(&a, &bottom, &s.size) == 0) s.bottom = static_cast<const char*>(bottom);
  pthread_attr_destroy(&a);
  return s;
}

// A self-switch: tells ASan the thread is on its own stack (a no-op when ASan knew).
void announce_own_stack_if_on_it() {
  FinishFn finish = real_finish();
  StartFn start = real_start();
  if (!finish || !start) return;
  static thread_local const ThreadStack own = own_stack();
  const char here = 0;
  if (own.bottom && &here >= own.bottom && &here < own.bottom + own.size) {
    void* save = nullptr;
    start(&save, own.bottom, own.size);
    finish(save, nullptr, nullptr);
  }
}

}  // namespace

extern "C" void __sanitizer_start_switch_fiber(void** fake_stack_save, const void* bottom, size_t size) {
  if (StartFn f = real_start()) f(fake_stack_save, bottom, size);
}

extern "C" void __sanitizer_finish_switch_fiber(void* fake_stack_save, const void** bottom_old, size_t* size_old) {
  if (FinishFn f = real_finish()) f(fake_stack_save, bottom_old, size_old);
  announce_own_stack_if_on_it();
}

extern "C" void __asan_handle_no_return() {
  using NoReturnFn = void (*)();
  static const auto real = reinterpret_cast<NoReturnFn>(dlsym(RTLD_NEXT, "__asan_handle_no_return"));
  announce_own_stack_if_on_it();
  if (real) real();
}
#endif
