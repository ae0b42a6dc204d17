build2/src/core/alloc.o: src/core/alloc.c src/core/internal.h \
 src/core/lrengine.h
src/core/internal.h:
src/core/lrengine.h:
