// The calling thread's current CUDA stream: every kernel launch and async copy of the backend
// goes to it, so st.cuda.stream(s) redirects a whole region of work.
#include "kernels/cuda/launch.cuh"

namespace steepest::cuda {

namespace {
thread_local cudaStream_t g_current = nullptr;  // null: the legacy default stream, as torch's default
}  // namespace

cudaStream_t current_stream() { return g_current; }
void set_current_stream(cudaStream_t s) { g_current = s; }

}  // namespace steepest::cuda
