build2/src/core/stream.o: src/core/stream.c src/core/internal.h \
 src/core/lrengine.h
src/core/internal.h:
src/core/lrengine.h:
