build2/tests/test_core_describe: tests/c/test_core_describe.c \
 src/core/lrengine.h tests/c/test.h
src/core/lrengine.h:
tests/c/test.h:
