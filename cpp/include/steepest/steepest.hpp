// Everything an embedding program needs: #include <steepest/steepest.hpp>.
#pragma once
#include "autocast.hpp"
#include "autograd.hpp"
#include "nn/functional.hpp"
#include "nn/conv.hpp"
#include "nn/recurrent.hpp"
#include "io.hpp"
#include "nn.hpp"
#include "ops.hpp"
#include "optim.hpp"
#include "runtime.hpp"
#include "schedule.hpp"
#include "tensor.hpp"
