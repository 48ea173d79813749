// Everything an embedding program needs: #include <steepest/steepest.hpp>.
#pragma once
#include "autograd.hpp"
#include "nn/functional.hpp"
#include "ops.hpp"
#include "runtime.hpp"
#include "tensor.hpp"
