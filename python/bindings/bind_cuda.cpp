// _core._to_device (Tensor.to(device) on every build) and, in a build with the CUDA backend,
// the submodule _core._cuda behind st.cuda: devices, memory statistics, streams, events,
// record_stream and pinned memory. Streams and events travel as integer handles; the
// Python classes in steepest/cuda own them.
#include "bind.hpp"
#include "steepest/ops/device.hpp"
#ifdef STEEPEST_WITH_CUDA
#include "steepest/cuda.hpp"
#endif

namespace steepest::bindings {

void bind_cuda(py::module_& m) {
  m.def("_to_device", &to_device, py::arg("t"), py::arg("device"), py::arg("non_blocking") = false,
        py::arg("copy") = false, py::call_guard<py::gil_scoped_release>());
  m.def("_set_default_device", [](std::optional<Device> d) { set_default_device(d.value_or(kCPU)); });
#ifdef STEEPEST_WITH_CUDA
  namespace c = steepest::cuda;
  py::module_ s = m.def_submodule("_cuda", "CUDA runtime calls behind st.cuda");
  s.def("device_count", &c::device_count);
  s.def("current_device", &c::current_device);
  s.def("set_device", &c::set_device);
  s.def("device_name", &c::device_name);
  s.def("device_capability", &c::device_capability);
  s.def("device_total_memory", &c::device_total_memory);
  s.def("synchronize", &c::synchronize, py::call_guard<py::gil_scoped_release>());
  s.def("memory_stats", [](int index) {
    const c::MemoryStats st = c::memory_stats(index);
    py::dict d;
    d["allocated"] = st.allocated;
    d["peak_allocated"] = st.peak_allocated;
    d["requested"] = st.requested;
    d["reserved"] = st.reserved;
    d["peak_reserved"] = st.peak_reserved;
    d["num_blocks"] = st.num_blocks;
    d["num_segments"] = st.num_segments;
    d["num_raw_allocs"] = st.num_raw_allocs;
    d["num_raw_frees"] = st.num_raw_frees;
    d["num_alloc_retries"] = st.num_alloc_retries;
    d["num_ooms"] = st.num_ooms;
    return d;
  });
  s.def("reset_peak_memory_stats", &c::reset_peak_memory_stats);
  s.def("empty_cache", &c::empty_cache, py::call_guard<py::gil_scoped_release>());
  s.def("stream_create", &c::stream_create);
  s.def("stream_destroy", &c::stream_destroy);
  s.def("stream_synchronize", &c::stream_synchronize, py::call_guard<py::gil_scoped_release>());
  s.def("stream_query", &c::stream_query);
  s.def("stream_priority_range", &c::stream_priority_range);
  s.def("current_stream", &c::current_stream_handle);
  s.def("set_current_stream", &c::set_current_stream_handle);
  s.def("event_create", &c::event_create);
  s.def("event_destroy", &c::event_destroy);
  s.def("event_record", &c::event_record);
  s.def("event_synchronize", &c::event_synchronize, py::call_guard<py::gil_scoped_release>());
  s.def("event_query", &c::event_query);
  s.def("event_elapsed_ms", &c::event_elapsed_ms);
  s.def("stream_wait_event", &c::stream_wait_event);
  s.def("record_stream", &c::record_stream);
  s.def("pin_memory", &c::pin_memory);
  s.def("is_pinned", &c::is_pinned);
#endif
}

}  // namespace steepest::bindings
