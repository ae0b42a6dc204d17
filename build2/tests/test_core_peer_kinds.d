build2/tests/test_core_peer_kinds: tests/c/test_core_peer_kinds.c \
 src/core/lrengine.h tests/c/test.h
src/core/lrengine.h:
tests/c/test.h:
