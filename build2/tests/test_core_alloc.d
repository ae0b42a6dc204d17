build2/tests/test_core_alloc: tests/c/test_core_alloc.c \
 src/core/lrengine.h tests/c/test.h
src/core/lrengine.h:
tests/c/test.h:
