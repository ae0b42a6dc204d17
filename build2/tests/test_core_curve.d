build2/tests/test_core_curve: tests/c/test_core_curve.c \
 src/core/lrengine.h tests/c/test.h
src/core/lrengine.h:
tests/c/test.h:
