// DType names, sizes and the promotion lattice (torch.promote_types).
#include "steepest/dtype.hpp"

#include "steepest/error.hpp"

namespace steepest {

namespace {
const char* kNames[kNumDTypes] = {"bool",    "int32",   "int64",         "bfloat16",   "float16",
                                  "float32", "float64", "float8_e4m3fn", "float8_e5m2"};
const size_t kSizes[kNumDTypes] = {1, 4, 8, 2, 2, 4, 8, 1, 1};
// torch's scalar type names, as its promotion and kernel errors print them.
const char* kTorchNames[kNumDTypes] = {"Bool",  "Int",    "Long",          "BFloat16",   "Half",
                                       "Float", "Double", "Float8_e4m3fn", "Float8_e5m2"};
DType g_default = DType::Float32;
}  // namespace

size_t itemsize(DType d) { return kSizes[int(d)]; }

void float8_unsupported(DType d, const char* what) {
  throw NotImplementedError(str("\"", what, "\" not implemented for '", kTorchNames[int(d)], "'"));
}
const char* dtype_name(DType d) { return kNames[int(d)]; }

DType dtype_from_name(const std::string& name) {
  for (int i = 0; i < kNumDTypes; ++i)
    if (name == kNames[i]) return DType(i);
  if (name == "float" ) return kFloat32;
  if (name == "double") return kFloat64;
  if (name == "half") return kFloat16;
  if (name == "long") return kInt64;
  if (name == "int") return kInt32;
  throw ValueError("unknown dtype '" + name + "'");
}

DType promote_types(DType a, DType b) {
  if (a == b) return a;
  STEEPEST_CHECK(!is_float8(a) && !is_float8(b), Error, "Promotion for Float8 Types is not supported, attempted to promote ",
                 kTorchNames[int(a)], " and ", kTorchNames[int(b)]);
  if (a == kBool) return b;
  if (b == kBool) return a;
  bool fa = is_floating(a), fb = is_floating(b);
  if (fa != fb) return fa ? a : b;        // int with float: the float
  if (!fa) return a > b ? a : b;          // int32 with int64: int64
  // Two different floats: the two 16-bit formats meet at float32, otherwise the wider wins.
  if ((a == kBFloat16 && b == kFloat16) || (a == kFloat16 && b == kBFloat16)) return kFloat32;
  return a > b ? a : b;
}

DType default_dtype() { return g_default; }
void set_default_dtype(DType d) {
  STEEPEST_CHECK(d == kFloat32 || d == kFloat64, TypeError,
                 "only float32 or float64 can be the default dtype, got ", dtype_name(d));
  g_default = d;
}

}  // namespace steepest
