# Runs dtcp-sim on the small fixture and compares its CSV with the committed golden file.
execute_process(COMMAND ${SIM} -t ${DATA}/small.log -f clf -n 1-4 --cache-mb 1 --clients-per-node 2
                        --csv ${OUT} -q
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "dtcp-sim failed with ${rc}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${OUT} ${DATA}/small-golden.csv RESULT_VARIABLE diff)
if(NOT diff EQUAL 0)
  message(FATAL_ERROR "${OUT} differs from ${DATA}/small-golden.csv")
endif()
