# Locates OpenBLAS from the scipy-openblas32 wheel (symbols carry a `scipy_` prefix) and
# defines OpenBLAS::OpenBLAS plus STEEPEST_OPENBLAS_LIBDIR for run paths.
execute_process(
  COMMAND "${Python_EXECUTABLE}" -c "import scipy_openblas32 as s; print(s.get_lib_dir(), end='')"
  OUTPUT_VARIABLE STEEPEST_OPENBLAS_LIBDIR
  RESULT_VARIABLE _steepest_openblas_rc)
if(NOT _steepest_openblas_rc EQUAL 0)
  message(FATAL_ERROR "steepest needs OpenBLAS from the scipy-openblas32 wheel: "
                      "pip install scipy-openblas32 (python: ${Python_EXECUTABLE})")
endif()
find_package(OpenBLAS CONFIG REQUIRED PATHS "${STEEPEST_OPENBLAS_LIBDIR}/cmake/openblas" NO_DEFAULT_PATH)
