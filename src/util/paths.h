// Where jouleval finds its shared data (tokenizer vocab files): $JOULEVAL_SHARE_DIR, else the
// build tree's share/jouleval, else <dir of executable>/../share/jouleval.
#pragma once

#include <filesystem>

namespace jouleval::util {

std::filesystem::path share_dir();

}  // namespace jouleval::util
