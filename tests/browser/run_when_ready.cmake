# Run by ctest when node, chromium or playwright-core was missing at configure
# time: looks again, runs the browser test if everything is there now, and
# otherwise fails with what is missing and how to install it.
#   cmake -DTEST_FILE=... -DPACKAGE_DIR=... -P run_when_ready.cmake

find_program(NODE node NO_CACHE)
find_program(CHROMIUM chromium PATHS /usr/bin NO_CACHE)

set(missing "")
if(NOT NODE)
  list(APPEND missing "node (apt-get install nodejs npm)")
endif()
if(NOT CHROMIUM)
  list(APPEND missing "chromium (apt-get install chromium)")
endif()
if(NOT EXISTS ${PACKAGE_DIR}/node_modules/playwright-core)
  list(APPEND missing "${PACKAGE_DIR}/node_modules/playwright-core (cd ${PACKAGE_DIR} && npm ci)")
endif()
if(missing)
  list(JOIN missing "\n  " missing_text)
  message(FATAL_ERROR "browser test NOT RUN, missing:\n  ${missing_text}\n"
                      "`make test-deps` installs all of them.")
endif()

set(ENV{HOTLINE_CHROMIUM} "${CHROMIUM}")
execute_process(COMMAND ${NODE} --test ${TEST_FILE} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "browser test failed (node exit status ${rc})")
endif()
