// The process-wide deterministic-algorithms switch (use_deterministic_algorithms).
#include <atomic>

#include "steepest/runtime.hpp"

namespace steepest {

namespace {
std::atomic<bool> g_deterministic{false};
}  // namespace

void set_deterministic(bool on) { g_deterministic.store(on, std::memory_order_relaxed); }
bool deterministic() { return g_deterministic.load(std::memory_order_relaxed); }

}  // namespace steepest
