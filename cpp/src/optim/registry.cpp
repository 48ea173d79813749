// The rule registry (steepest/optim/registry.hpp): rules add themselves when the library loads
// (STEEPEST_REGISTER_RULE in each rule's file); lookups by name.
#include <algorithm>
#include <memory>

#include "optim/rule.hpp"

namespace steepest::optim {

namespace {
std::vector<std::unique_ptr<RuleInfo>>& registry() {
  static std::vector<std::unique_ptr<RuleInfo>> r;
  return r;
}
}  // namespace

namespace detail {
RuleRegistrar::RuleRegistrar(RuleInfo (*describe)()) {
  auto info = std::make_unique<RuleInfo>(describe());
  for (const auto& r : registry())
    if (r->name == info->name) throw Error("optimizer rule '" + info->name + "' is registered twice");
  registry().push_back(std::move(info));
}
}  // namespace detail

std::vector<const RuleInfo*> rules() {
  std::vector<const RuleInfo*> out;
  for (const auto& r : registry()) out.push_back(r.get());
  std::sort(out.begin(), out.end(), [](const RuleInfo* a, const RuleInfo* b) { return a->name < b->name; });
  return out;
}

const RuleInfo& rule(const std::string& name) {
  for (const auto& r : registry())
    if (r->name == name) return *r;
  std::string known;
  for (const RuleInfo* r : rules()) known += (known.empty() ? "" : ", ") + r->name;
  throw ValueError("unknown optimizer rule '" + name + "' (registered: " + known + ")");
}

}  // namespace steepest::optim
