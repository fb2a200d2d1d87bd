# Tests of the visualizer server (services/visualizer). The page's own
# browser test lives with the page (tests/browser/).

# Engine JSON -> model -> JSON, with replies recorded from a real engine.
part5_unit_test(docker_model visualizer_core PkgConfig::YAJL)
# Routes, CTX_ROOT, DOCKER_HOST, credentials, frames.
part5_unit_test(visualizer_route visualizer_core)

# The fuzzer of the engine JSON parsers (clang, -DPART5_FUZZ=ON).
part5_fuzz_target(fuzz_docker_model fuzz/fuzz_docker_model.c visualizer_model)
