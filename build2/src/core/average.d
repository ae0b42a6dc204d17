build2/src/core/average.o: src/core/average.c src/core/optim_internal.h \
 src/core/internal.h src/core/lrengine.h
src/core/optim_internal.h:
src/core/internal.h:
src/core/lrengine.h:
