build2/src/core/membuf.o: src/core/membuf.c src/core/internal.h \
 src/core/lrengine.h
src/core/internal.h:
src/core/lrengine.h:
