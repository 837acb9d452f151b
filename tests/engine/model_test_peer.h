// Tests' access to engine::Model's private state (its test hooks, engine/model_impl.h).
#pragma once

#include "engine/model.h"
#include "engine/model_impl.h"

namespace jouleval::engine {

class ModelTestPeer {
 public:
  static Model::Impl& impl(Model& model) { return *model.impl_; }
};

}  // namespace jouleval::engine
