// Reading the models' serialized forms: varints in their shortest encoding only, so that every
// model has exactly one byte form (a model read back serializes to the bytes it came from).
#pragma once

#include <cstdint>

#include "common/bytes.h"
#include "vigil/status.h"

namespace vigil::internal {

/// ByteReader::Varint, refusing an encoding longer than needed (e.g. 0x80 0x00 for 0).
inline Status ReadShortestVarint(ByteReader* r, uint64_t* v) {
  const size_t before = r->position();
  VIGIL_RETURN_IF_ERROR(r->Varint(v));
  size_t shortest = 1;
  for (uint64_t rest = *v; rest >= 0x80; rest >>= 7) ++shortest;
  if (r->position() - before != shortest) return r->Error("varint longer than its shortest form");
  return Status::Ok();
}

}  // namespace vigil::internal
