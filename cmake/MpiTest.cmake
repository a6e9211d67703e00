# One place for the mpirun flags the tests need. Running as root (CI) needs
# --allow-run-as-root, and a 2-core machine running 3 ranks needs --oversubscribe.
set(LOGITRANK_MPIRUN "${MPIEXEC_EXECUTABLE}" CACHE FILEPATH "mpirun used by the tests")
set(LOGITRANK_MPIRUN_FLAGS --oversubscribe --bind-to none)
execute_process(COMMAND id -u OUTPUT_VARIABLE _uid OUTPUT_STRIP_TRAILING_WHITESPACE)
if(_uid STREQUAL "0")
  list(APPEND LOGITRANK_MPIRUN_FLAGS --allow-run-as-root)
endif()
