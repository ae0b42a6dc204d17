build2/src/core/params.o: src/core/params.c src/core/internal.h \
 src/core/lrengine.h
src/core/internal.h:
src/core/lrengine.h:
