build2/tests/test_core_sizes: tests/c/test_core_sizes.c \
 src/core/lrengine.h tests/c/test.h
src/core/lrengine.h:
tests/c/test.h:
