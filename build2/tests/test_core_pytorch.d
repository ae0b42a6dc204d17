build2/tests/test_core_pytorch: tests/c/test_core_pytorch.c \
 src/core/lrengine.h tests/c/test.h
src/core/lrengine.h:
tests/c/test.h:
