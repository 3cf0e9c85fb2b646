// libsystemc.so references sc_main; our programs (CLI, tests, Python module) have their own main and
// drive the kernel with sc_start directly, so this definition only satisfies the linker and is
// exported so the dynamic loader finds it from a shared module too.
extern "C" __attribute__((visibility("default"))) int sc_main(int, char**) { return 1; }
