// Operations on tensors, one header per family. Each family's backward (autograd) is
// written beside its forward in cpp/src/ops/<family>.cpp.
#pragma once
#include "ops/creation.hpp"
#include "ops/count.hpp"
#include "ops/divmod.hpp"
#include "ops/elementwise.hpp"
#include "ops/index.hpp"
#include "ops/join.hpp"
#include "ops/linalg.hpp"
#include "ops/random.hpp"
#include "ops/reduce.hpp"
#include "ops/scan.hpp"
#include "ops/shape.hpp"
#include "ops/sort.hpp"
