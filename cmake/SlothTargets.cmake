# Warnings as errors on our own targets only (never on generated or third-party code).
function(sloth_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wshadow -Wnon-virtual-dtor -Wformat=2)
  # GCC 12 reports impossible overlaps inside std::string at -O3 (GCC bug 105329, fixed in 13).
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
endfunction()

# Generates build_info.h: version, commit and compiler, so /info and sloth_build_info agree.
function(sloth_build_info)
  set(SLOTH_COMMIT "unknown")
  find_package(Git QUIET)
  if(GIT_FOUND AND EXISTS "${PROJECT_SOURCE_DIR}/.git")
    execute_process(COMMAND "${GIT_EXECUTABLE}" rev-parse --short=12 HEAD
      WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}" OUTPUT_VARIABLE SLOTH_COMMIT
      OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE git_rc)
    if(NOT git_rc EQUAL 0 OR SLOTH_COMMIT STREQUAL "")
      set(SLOTH_COMMIT "unknown")
    endif()
  elseif(EXISTS "${PROJECT_SOURCE_DIR}/.slothd-commit")
    # A source copy without .git (packaging/build-packages.sh writes this file).
    file(STRINGS "${PROJECT_SOURCE_DIR}/.slothd-commit" SLOTH_COMMIT LIMIT_COUNT 1)
  endif()
  set(SLOTH_COMMIT "${SLOTH_COMMIT}" PARENT_SCOPE)
  set(SLOTH_COMPILER "${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER_VERSION}")
  configure_file("${PROJECT_SOURCE_DIR}/common/build_info.h.in"
                 "${PROJECT_BINARY_DIR}/generated/build_info.h" @ONLY)
endfunction()
