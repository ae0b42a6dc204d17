build2/tests/test_core: tests/c/test_core.c src/core/lrengine.h \
 tests/c/test.h
src/core/lrengine.h:
tests/c/test.h:
