# SPDX-License-Identifier: Apache-2.0
# part5_sanitize(target): applies PART5_SANITIZE (e.g. "address,undefined")
# to a target, compile and link (libuv ASAN/UBSAN options).
function(part5_sanitize target)
    if(PART5_SANITIZE)
        target_compile_options(${target} PRIVATE
            -fsanitize=${PART5_SANITIZE} -fno-omit-frame-pointer
            -fno-sanitize-recover=all)
        target_link_options(${target} PRIVATE -fsanitize=${PART5_SANITIZE})
    endif()
endfunction()

# part5_target(target): everything a target of this project gets.
function(part5_target target)
    part5_warnings(${target})
    part5_sanitize(${target})
endfunction()
