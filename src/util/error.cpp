#include "util/error.h"

#include <cerrno>

namespace jouleval::util {

ErrorKind write_error_kind(int error_number) {
  switch (error_number) {
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
      return ErrorKind::kNoSpace;
    default:
      return ErrorKind::kFailure;
  }
}

}  // namespace jouleval::util
