// Everything an embedding program needs: #include <steepest/steepest.hpp>.
#pragma once
#include "autograd.hpp"
#include "ops.hpp"
#include "optim.hpp"
#include "runtime.hpp"
#include "tensor.hpp"
