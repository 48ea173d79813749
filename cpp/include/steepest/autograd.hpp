// Autograd state carried by a tensor. The backward engine, nodes, hooks and grad modes
// build on this.
#pragma once
#include <memory>

#include "tensor.hpp"

namespace steepest {

struct Node;  // a recorded operation (the engine defines it)

struct AutogradMeta {
  bool requires_grad = false;
  Tensor grad;                     // accumulated gradient of a leaf
  std::shared_ptr<Node> grad_fn;   // the op that produced a non-leaf
  uint32_t output_nr = 0;          // which output of grad_fn this tensor is
};

}  // namespace steepest
