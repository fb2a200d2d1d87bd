# SPDX-License-Identifier: Apache-2.0
# part5_warnings(target): the warning set every target of this project
# compiles with (libssh CompilerChecks.cmake; hiredis and beanstalkd
# Makefiles). -Werror is opt-in through PART5_WERROR, which CI turns on.
function(part5_warnings target)
    target_compile_options(${target} PRIVATE
        -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
        -Wwrite-strings -Wformat=2 -Wpointer-arith -Wcast-align
        -Wundef -Wvla -Wnull-dereference -fno-common)
    target_compile_definitions(${target} PRIVATE _GNU_SOURCE)
    if(PART5_WERROR)
        target_compile_options(${target} PRIVATE -Werror)
    endif()
endfunction()
