build2/tests/test_core_average: tests/c/test_core_average.c \
 src/core/lrengine.h tests/c/test.h
src/core/lrengine.h:
tests/c/test.h:
