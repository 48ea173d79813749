// How a rule describes itself for the registry (steepest/optim/registry.hpp): a builder over
// the rule's Options struct, whose default-constructed values are the defaults (written once,
// in the struct), and whose state list gives both the names Python sees and the driver's plan
// (which list fills which kernel slot). A rule file ends with
//   STEEPEST_REGISTER_RULE(Adam) { return RuleBuilder<AdamOptions>("Adam").hyper(...)...; }
#pragma once
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "optim/driver.hpp"
#include "steepest/ops/creation.hpp"
#include "steepest/optim.hpp"
#include "steepest/optim/registry.hpp"

namespace steepest::optim::detail {

// How a state tensor starts: zeros, a constant, a copy of the param, uninitialised (the
// kernel writes it first), a 0-d float32 scalar (step counters, products), or made by the
// step itself (Custom: shapes that depend on the param, as Adafactor's factored moments).
enum class Init : uint8_t { Zeros, Fill, CloneParam, Empty, Scalar, Custom };

template <class O>
struct StateSpec {
  std::string name;
  int slot = -1;      // kernel slot (>= kFirstState), or -1 for a scalar the step updates itself
  Init init = Init::Zeros;
  std::function<double(const O&)> fill;  // Fill / Scalar: the starting value
  std::function<bool(const O&)> used;    // null: always used

  // Whether the driver's plan holds this state for a configuration (Custom state is made by
  // the step itself).
  bool planned(const O& o) const { return init != Init::Custom && (!used || used(o)); }
};

// The driver's plan for a configuration: list 1 + j for state j, in the rule's order. The plan
// refers to `states`, which must outlive it (rules keep theirs in a static).
template <class O>
GroupPlan plan_of(const char* name, const std::vector<StateSpec<O>>& states, const O& o) {
  GroupPlan plan;
  plan.name = name;
  for (size_t j = 0; j < states.size(); ++j) {
    const StateSpec<O>& s = states[j];
    if (!s.planned(o)) continue;
    const int list = int(j) + 1;
    plan.used_lists.push_back(list);
    if (s.slot >= updates::kFirstState) plan.arrays.push_back({list, s.slot});
  }
  plan.make_state = [&states, o](int list, const Tensor& p, const Tensor&) {
    const StateSpec<O>& s = states[size_t(list - 1)];
    switch (s.init) {
      case Init::Zeros: return zeros_state(p);
      case Init::Fill: return filled_state(p, s.fill(o));
      case Init::CloneParam: return clone(p);
      case Init::Empty: return empty_state(p);
      case Init::Scalar: return scalar_state(p, s.fill ? s.fill(o) : 0.0);
      case Init::Custom: break;
    }
    return zeros_state(p);
  };
  return plan;
}

template <class O>
class RuleBuilder {
 public:
  explicit RuleBuilder(std::string name) { info_.name = std::move(name); }

  // Hyperparameters, in the constructor's positional order. The default is the Options
  // struct's member initializer.
  RuleBuilder& hyper(const char* name, double O::*f, const char* check = "") {
    add(name, HyperKind::Float, {false, {O{}.*f}, {}}, check);
    setters_.push_back([name, f](O& o, const HyperMap& h) { o.*f = at(h, name).nums.at(0); });
    return *this;
  }
  RuleBuilder& hyper(const char* name, bool O::*f) {
    add(name, HyperKind::Bool, {false, {O{}.*f ? 1.0 : 0.0}, {}}, "");
    setters_.push_back([name, f](O& o, const HyperMap& h) { o.*f = at(h, name).nums.at(0) != 0; });
    return *this;
  }
  RuleBuilder& hyper(const char* name, int O::*f) {
    add(name, HyperKind::Int, {false, {double(O{}.*f)}, {}}, "");
    setters_.push_back([name, f](O& o, const HyperMap& h) { o.*f = int(at(h, name).nums.at(0)); });
    return *this;
  }
  // A tuple of numbers stored in several fields (betas -> beta1, beta2). With optional_first
  // a None first entry is stored as `none_value`.
  RuleBuilder& floats(const char* name, std::vector<double O::*> fs, const char* check = "", bool optional_first = false,
                      double none_value = 0) {
    HyperValue d;
    const O o{};
    for (auto f : fs) d.nums.push_back(optional_first && f == fs[0] && o.*f == none_value ? NAN : o.*f);
    add(name, HyperKind::Floats, d, check);
    info_.hypers.back().optional_first = optional_first;
    setters_.push_back([name, fs, optional_first, none_value](O& o, const HyperMap& h) {
      const HyperValue& v = at(h, name);
      STEEPEST_CHECK(v.nums.size() == fs.size(), ValueError, "Invalid ", name, ": expected ", fs.size(), " numbers, got ",
                     v.nums.size());
      for (size_t k = 0; k < fs.size(); ++k) o.*fs[k] = (k == 0 && optional_first && std::isnan(v.nums[0])) ? none_value : v.nums[k];
    });
    return *this;
  }
  // One of `choices` (none: the first), handed to `set` as its index.
  RuleBuilder& choice(const char* name, std::vector<std::string> choices, const std::string& def,
                      std::function<void(O&, int)> set, bool none_default = false) {
    HyperValue d;
    d.none = none_default;
    d.text = none_default ? "" : def;
    add(name, HyperKind::Choice, d, "");
    info_.hypers.back().choices = choices;
    setters_.push_back([name, choices, set](O& o, const HyperMap& h) {
      const HyperValue& v = at(h, name);
      if (v.none) return set(o, 0);
      for (size_t k = 0; k < choices.size(); ++k)
        if (v.text == choices[k]) return set(o, int(k));
      std::string known;
      for (const auto& c : choices) known += (known.empty() ? "\"" : ", \"") + c + "\"";
      throw ValueError(std::string("Invalid ") + name + ": \"" + v.text + "\" (" + name + " must be one of " + known + ")");
    });
    return *this;
  }
  // Accepted for compatibility with the reference's signature, unused by the step.
  RuleBuilder& ignored(const char* name, HyperValue def = {true, {}, {}}) {
    add(name, HyperKind::Ignored, def, "");
    return *this;
  }
  // Hyperparameters declared after this are keyword-only.
  RuleBuilder& keyword_only() {
    kw_ = true;
    return *this;
  }
  // A per-group scalar that the step reads and updates (kept in the param group; `kind` Int
  // shows it to the front end as an integer).
  RuleBuilder& group_state(const char* name, double O::*f, HyperKind kind = HyperKind::Float) {
    hyper(name, f);
    info_.hypers.back().group_state = true;
    info_.hypers.back().kind = kind;
    getters_.push_back([name, f](const O& o, HyperMap& h) { h[name] = HyperValue{false, {o.*f}, {}}; });
    return *this;
  }
  // A value only the front end uses (kept in the param group, e.g. Lamb's max_grad_norm).
  RuleBuilder& front_end(const char* name, HyperKind kind, HyperValue def, bool group_state = false) {
    add(name, kind, std::move(def), "");
    info_.hypers.back().front_end_only = true;
    info_.hypers.back().group_state = group_state;
    return *this;
  }
  // An argument of step() rather than of the constructor (SophiaG's bs).
  RuleBuilder& step_argument(const char* name, double O::*f, const char* check = "") {
    hyper(name, f, check);
    info_.hypers.back().step_argument = true;
    return *this;
  }

  // Per-param state, in the order of the step's lists (lists[1 + j]).
  RuleBuilder& state(const char* name, int slot, Init init = Init::Zeros, std::function<bool(const O&)> used = {},
                     std::function<double(const O&)> fill = {}) {
    info_.state.push_back(name);
    states_.push_back({name, slot, init, std::move(fill), std::move(used)});
    return *this;
  }
  RuleBuilder& scalar_state(const char* name, double start = 0) {
    return state(name, -1, Init::Scalar, {}, [start](const O&) { return start; });
  }
  RuleBuilder& low_precision() {
    info_.low_precision = true;
    return *this;
  }

  const std::vector<StateSpec<O>>& states() const { return states_; }
  const char* name() const { return info_.name.c_str(); }

  // Finishes the description with the step: fn(lists, options, control).
  RuleInfo step(std::function<int(TensorLists&, O&, const StepControl&)> fn) {
    auto setters = setters_;
    auto getters = getters_;
    const RuleInfo defaults = info_;
    // The Options of a group's hyperparameters (missing ones take their defaults).
    auto options_of = [setters, defaults](HyperMap& h) {
      for (const HyperSpec& s : defaults.hypers)
        if (!h.count(s.name)) h[s.name] = s.default_value;
      O o{};
      for (const auto& set : setters) set(o, h);
      return o;
    };
    info_.step = [fn, getters, options_of](TensorLists& lists, HyperMap& h, const StepControl& c) {
      O o = options_of(h);
      ContiguousParams contiguous_params(lists);
      const int created = fn(lists, o, c);
      contiguous_params.write_back();
      for (const auto& get : getters) get(o, h);
      return created;
    };
    info_.kept_state = [states = states_, options_of](HyperMap& h) {
      const O o = options_of(h);
      std::vector<RuleInfo::KeptState> out;
      for (const StateSpec<O>& s : states) {
        if (!s.planned(o) || s.init == Init::Empty) continue;  // Empty: filled from the first grad
        out.push_back({s.name, s.init == Init::Scalar});
      }
      return out;
    };
    return info_;
  }

 private:
  static const HyperValue& at(const HyperMap& h, const char* name) {
    auto it = h.find(name);
    STEEPEST_CHECK(it != h.end(), ValueError, "missing hyperparameter ", name);
    return it->second;
  }
  void add(const char* name, HyperKind kind, HyperValue def, const char* check) {
    HyperSpec s;
    s.name = name;
    s.kind = kind;
    s.default_value = std::move(def);
    s.keyword_only = kw_;
    s.check = check;
    info_.hypers.push_back(std::move(s));
  }

  RuleInfo info_;
  bool kw_ = false;
  std::vector<std::function<void(O&, const HyperMap&)>> setters_;
  std::vector<std::function<void(const O&, HyperMap&)>> getters_;
  std::vector<StateSpec<O>> states_;
};

// The driver's plan of the rule that `Rule()` describes, for options o (the description is
// built once, on first use).
template <auto Rule, class O>
GroupPlan plan_for(const O& o) {
  static const auto rule = Rule();
  return plan_of(rule.name(), rule.states(), o);
}

// Adds a rule to the registry when the library loads.
struct RuleRegistrar {
  explicit RuleRegistrar(RuleInfo (*describe)());
};

}  // namespace steepest::optim::detail

#define STEEPEST_REGISTER_RULE(NAME)                                                              \
  static ::steepest::optim::RuleInfo steepest_describe_rule_##NAME();                             \
  static const ::steepest::optim::detail::RuleRegistrar steepest_rule_registrar_##NAME(           \
      &steepest_describe_rule_##NAME);                                                           \
  static ::steepest::optim::RuleInfo steepest_describe_rule_##NAME()
