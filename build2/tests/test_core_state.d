build2/tests/test_core_state: tests/c/test_core_state.c \
 src/core/lrengine.h src/core/optim_internal.h src/core/internal.h \
 src/core/lrengine.h tests/c/test.h
src/core/lrengine.h:
src/core/optim_internal.h:
src/core/internal.h:
src/core/lrengine.h:
tests/c/test.h:
