build2/src/core/rng.o: src/core/rng.c src/core/internal.h \
 src/core/lrengine.h
src/core/internal.h:
src/core/lrengine.h:
