build2/tests/test_core_api: tests/c/test_core_api.c src/core/lrengine.h \
 tests/c/test.h
src/core/lrengine.h:
tests/c/test.h:
