# SPDX-License-Identifier: Apache-2.0
# part5_embed(OUT_C symbol_prefix FILES...): compiles files into a C source
# as const byte arrays, so a program carries its page without reading the
# disk. The generated file defines, for each input, `<prefix>_<name>` and
# `<prefix>_<name>_len`, where <name> is the file name with every
# non-alphanumeric character turned into '_'.
function(part5_embed out_c prefix)
    set(inputs ${ARGN})
    add_custom_command(
        OUTPUT ${out_c}
        COMMAND ${CMAKE_COMMAND} -DOUT=${out_c} -DPREFIX=${prefix}
                "-DINPUTS=${inputs}" -P ${PROJECT_SOURCE_DIR}/cmake/embed.cmake
        DEPENDS ${inputs} ${PROJECT_SOURCE_DIR}/cmake/embed.cmake
        COMMENT "Embedding ${prefix} assets"
        VERBATIM)
endfunction()
