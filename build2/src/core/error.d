build2/src/core/error.o: src/core/error.c src/core/internal.h \
 src/core/lrengine.h
src/core/internal.h:
src/core/lrengine.h:
