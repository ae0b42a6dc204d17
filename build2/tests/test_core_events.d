build2/tests/test_core_events: tests/c/test_core_events.c \
 src/core/lrengine.h tests/c/test.h
src/core/lrengine.h:
tests/c/test.h:
