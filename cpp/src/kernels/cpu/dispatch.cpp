// Run-time choice of the CPU kernel set: detects AVX2/AVX-512 (x86-64) or NEON (aarch64),
// honours STEEPEST_ISA=scalar|avx2|avx512|neon, and lets set_isa() switch (for tests).
#include <atomic>
#include <cstdlib>
#include <string>
#include <vector>

#include "kernels/cpu/kernel_table.hpp"
#include "steepest/error.hpp"
#include "steepest/runtime.hpp"

// Each ISA build of the isa/*.cpp files defines these in its own namespace. Adding a kernel
// file under isa/ means adding its register function here.
#define STEEPEST_DECLARE_ISA(NAME)                              \
  namespace steepest::kernels::NAME {                           \
  void register_elementwise(KernelTable&);                      \
  void register_reduce(KernelTable&);                           \
  void register_optim(KernelTable&);                            \
  void register_nn(KernelTable&);                               \
  void register_gemm(KernelTable&);                             \
  void register_batch_norm(KernelTable&);                       \
  void register_conv(KernelTable&);                             \
  void register_rnn(KernelTable&);                              \
  void register_convert(KernelTable&);                          \
  }                                                             \
  static void fill_##NAME(steepest::kernels::KernelTable& t) {  \
    t.isa = #NAME;                                              \
    steepest::kernels::NAME::register_elementwise(t);           \
    steepest::kernels::NAME::register_reduce(t);                \
    steepest::kernels::NAME::register_optim(t);                 \
    steepest::kernels::NAME::register_nn(t);                    \
    steepest::kernels::NAME::register_gemm(t);                  \
    steepest::kernels::NAME::register_batch_norm(t);            \
    steepest::kernels::NAME::register_conv(t);                  \
    steepest::kernels::NAME::register_rnn(t);                   \
    steepest::kernels::NAME::register_convert(t);               \
  }

STEEPEST_DECLARE_ISA(scalar)
#ifdef STEEPEST_HAVE_ISA_avx2
STEEPEST_DECLARE_ISA(avx2)
#endif
#ifdef STEEPEST_HAVE_ISA_avx512
STEEPEST_DECLARE_ISA(avx512)
#endif
#ifdef STEEPEST_HAVE_ISA_neon
STEEPEST_DECLARE_ISA(neon)
#endif

namespace steepest {
namespace kernels {
namespace {

struct IsaEntry {
  const char* name;
  void (*fill)(KernelTable&);
  bool (*supported)();
};

bool always() { return true; }
#if defined(__x86_64__) || defined(_M_X64)
// The avx2 build also uses F16C (float16 conversions); every AVX2 CPU has it, but check.
bool has_avx2() {
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
}
bool has_avx512() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") && has_avx2();
}
#endif

// Best first.
const std::vector<IsaEntry>& compiled_isas() {
  static const std::vector<IsaEntry> v = {
#ifdef STEEPEST_HAVE_ISA_avx512
      {"avx512", fill_avx512, has_avx512},
#endif
#ifdef STEEPEST_HAVE_ISA_avx2
      {"avx2", fill_avx2, has_avx2},
#endif
#ifdef STEEPEST_HAVE_ISA_neon
      {"neon", fill_neon, always},
#endif
      {"scalar", fill_scalar, always},
  };
  return v;
}

KernelTable make_table(const std::string& name) {
  for (const auto& e : compiled_isas()) {
    if (name != e.name) continue;
    STEEPEST_CHECK(e.supported(), ValueError, "instruction set '", name, "' is not supported by this CPU");
    KernelTable t;
    e.fill(t);
    return t;
  }
  std::string known;
  for (const auto& e : compiled_isas()) known += std::string(known.empty() ? "" : ", ") + e.name;
  throw ValueError("unknown instruction set '" + name + "' (this build has: " + known + ")");
}

std::string best_isa() {
  const char* env = std::getenv("STEEPEST_ISA");
  if (env && *env) return env;
  for (const auto& e : compiled_isas())
    if (e.supported()) return e.name;
  return "scalar";
}

// Tables are built once per ISA and never freed, so a pointer handed out stays valid.
std::atomic<const KernelTable*> g_active{nullptr};

const KernelTable* table_for(const std::string& name) {
  static KernelTable* tables[8] = {};
  const auto& isas = compiled_isas();
  for (size_t i = 0; i < isas.size(); ++i)
    if (name == isas[i].name) {
      if (!tables[i]) tables[i] = new KernelTable(make_table(name));
      return tables[i];
    }
  make_table(name);  // throws the "unknown" error
  return nullptr;
}

}  // namespace

const KernelTable& cpu_kernels() {
  const KernelTable* t = g_active.load(std::memory_order_acquire);
  if (!t) {
    static const KernelTable* initial = table_for(best_isa());
    g_active.store(initial, std::memory_order_release);
    t = initial;
  }
  return *t;
}

}  // namespace kernels

std::string current_isa() { return kernels::cpu_kernels().isa; }

std::vector<std::string> supported_isas() {
  std::vector<std::string> out;
  for (const auto& e : kernels::compiled_isas())
    if (e.supported()) out.push_back(e.name);
  return out;
}

void set_isa(const std::string& name) {
  kernels::g_active.store(kernels::table_for(name), std::memory_order_release);
}

}  // namespace steepest
