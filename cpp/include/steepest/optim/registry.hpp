// The optimizer rule registry: every update rule steepest ships describes itself once (name,
// hyperparameters with defaults, state tensors in order, low-precision support) and is
// reachable by name. The typed *_step functions of steepest/optim.hpp are the same steps;
// this generic form is what the Python bindings call, and what a program can use to drive a
// rule it only knows by name.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "../tensor.hpp"

namespace steepest::optim {

using TensorLists = std::vector<std::vector<Tensor>>;
struct StepControl;

// How a hyperparameter is written by the user (its Python form in parentheses).
enum class HyperKind : uint8_t {
  Float,   // a number (float)
  Bool,    // a flag (bool)
  Int,     // an integer (int)
  Floats,  // a fixed-length tuple of numbers (tuple; the first may be None if optional_first)
  Choice,  // one of `choices` (str), or None for the first choice
  Ignored  // accepted for compatibility and not used by the step (None or a bool)
};

// A hyperparameter value: numbers (Float, Bool as 0/1, Int, Floats; NaN stands for None in an
// optional_first tuple), a name (Choice), or none.
struct HyperValue {
  bool none = false;
  std::vector<double> nums;
  std::string text;
};
using HyperMap = std::map<std::string, HyperValue>;

struct HyperSpec {
  std::string name;
  HyperKind kind = HyperKind::Float;
  HyperValue default_value;
  bool keyword_only = false;         // after the `*` in the constructor's signature
  bool group_state = false;          // a per-group scalar the step updates (written back), not an argument
  bool step_argument = false;        // an argument of step() (e.g. SophiaG's bs), not of the constructor
  bool front_end_only = false;       // kept in the param group for the front end; the step ignores it
  bool optional_first = false;       // Floats: the first entry may be None
  std::vector<std::string> choices;  // Choice: the accepted names
  // A named constraint the front end checks with its usual message: "" (none), "lr" (a number
  // >= 0), "nonneg" (>= 0), "betas" (a pair in [0, 1)).
  std::string check;
};

struct RuleInfo {
  std::string name;                // "Adam", "SGD", ...
  std::vector<HyperSpec> hypers;   // in the constructor's positional order
  std::vector<std::string> state;  // per-param state names: lists[1 + j] holds state[j]
  bool low_precision = false;      // bfloat16/float16 params (float32 master) and bfloat16 state
  // The per-param state a step with hyperparameters `h` keeps once it has run, each with
  // whether it is a 0-d scalar (a step counter) rather than a tensor of the param's shape. State
  // the step fills from the first grad (Empty: torch starts it when absent) and state whose
  // shape depends on the param (Custom) are left out: a checkpoint may lack the former, and the
  // rule's front end describes the latter.
  struct KeptState {
    std::string name;
    bool scalar = false;
  };
  std::function<std::vector<KeptState>(HyperMap& h)> kept_state;
  // One step over a group's lists. `h` holds hyperparameters by name (missing ones take their
  // defaults); group_state entries are written back.
  std::function<int(TensorLists& lists, HyperMap& h, const StepControl& c)> step;
};

// Every registered rule, sorted by name.
std::vector<const RuleInfo*> rules();
// The rule of that name, or ValueError listing the known ones.
const RuleInfo& rule(const std::string& name);

}  // namespace steepest::optim
