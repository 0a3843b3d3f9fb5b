# Runs one node:test file for ctest, after checking that what it needs is
# installed; a missing tool fails the test with what is missing and how to
# install it (CI must never skip these silently). Checking here, when the
# test runs, rather than at configure time means installing the tools after
# configuring is enough.
#   cmake -DTEST_FILE=... -DPACKAGE_DIR=... -DPACKAGES="a;b" [-DNEEDS_CHROMIUM=ON] -P run_node_test.cmake

find_program(NODE node NO_CACHE)
set(missing "")
if(NOT NODE)
  list(APPEND missing "node (apt-get install nodejs npm)")
endif()
if(NEEDS_CHROMIUM)
  find_program(CHROMIUM chromium PATHS /usr/bin NO_CACHE)
  if(NOT CHROMIUM)
    list(APPEND missing "chromium (apt-get install chromium)")
  endif()
  set(ENV{HOTLINE_CHROMIUM} "${CHROMIUM}")
endif()
foreach(package IN LISTS PACKAGES)
  if(NOT EXISTS ${PACKAGE_DIR}/node_modules/${package})
    list(APPEND missing "${PACKAGE_DIR}/node_modules/${package} (cd ${PACKAGE_DIR} && npm ci)")
  endif()
endforeach()
if(missing)
  list(JOIN missing "\n  " missing_text)
  message(FATAL_ERROR "${TEST_FILE} NOT RUN, missing:\n  ${missing_text}\n`make test-deps` installs all of them.")
endif()

execute_process(COMMAND ${NODE} --test ${TEST_FILE} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${TEST_FILE} failed (node exit status ${rc})")
endif()
