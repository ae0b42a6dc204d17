build2/tests/test_core_continue: tests/c/test_core_continue.c \
 src/core/lrengine.h tests/c/test.h
src/core/lrengine.h:
tests/c/test.h:
